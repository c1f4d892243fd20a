#!/bin/sh
# monasca/log-persister: render the configuration, wait for Kafka (with the
# log topic) and OpenSearch, then exec the persister so that it is the
# process `docker stop` signals.
set -eu

templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca

# wait.args names the dependencies, one argument per line.
# shellcheck disable=SC2046 # one argument per line, none with spaces
monasca-wait $(cat /etc/monasca/wait.args)

exec monasca-log-persister --config /etc/monasca/log-persister.yml
