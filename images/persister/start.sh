#!/bin/sh
# monasca/persister: render the configuration, wait for Kafka (with its
# topics) and InfluxDB (with its database), then exec the persister so that
# it is the process `docker stop` signals.
set -eu

# monasca-persister-run is upstream's monasca-persister whose SIGTERM writes
# the batches in hand before exiting (see the script).
exec monasca-start monasca-persister-run --config-file /etc/monasca/monasca-persister.conf
