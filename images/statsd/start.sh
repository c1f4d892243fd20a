#!/bin/sh
# monasca/statsd: render agent.yaml, wait for the forwarder, then exec
# monasca-statsd so that it is the process `docker stop` signals.
set -eu

# agent.yaml comes from monasca/agent-base's templates, with this image's
# defaults; wait.args may name no dependency, and then none is waited for.
exec monasca-start --templates /etc/monasca/agent-base/templates monasca-statsd
