#!/bin/sh
# monasca/opensearch: render the configuration, then exec the node so that
# it is the process `docker stop` signals.
set -eu

monasca-start

# Temporary files go to the data volume, emptied at each start: JNA loads
# its native library from there, which a noexec tmpfs on /tmp would refuse.
rm -rf /var/lib/monasca/opensearch/tmp
mkdir -p /var/lib/monasca/opensearch/tmp /var/lib/monasca/opensearch/logs \
    /var/lib/monasca/opensearch/snapshots

# The configuration directory is /run/monasca, where monasca-link-config
# puts the rendered files: OpenSearch writes its keystore (empty, no
# secrets) next to them at each start, and /etc/monasca may be read-only.
exec java @/etc/monasca/jvm.options -cp '/opt/opensearch/lib/*' \
    org.opensearch.bootstrap.OpenSearch
