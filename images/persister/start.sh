#!/bin/sh
# monasca/persister: render the configuration, wait for Kafka (with its
# topics) and InfluxDB (with its database), then exec the persister so that
# it is the process `docker stop` signals.
set -eu

templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca

# wait.args names the dependencies; the password stays a ${VAR} reference
# that monasca-wait fills from the environment, out of files and process lists.
# shellcheck disable=SC2046 # one argument per line, none with spaces
monasca-wait $(cat /etc/monasca/wait.args)

# monasca-persister-run is upstream's monasca-persister whose SIGTERM writes
# the batches in hand before exiting (see the script).
exec monasca-persister-run --config-file /etc/monasca/monasca-persister.conf
