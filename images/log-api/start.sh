#!/bin/sh
# monasca/log-api: render the configuration, wait for Kafka and the logs
# topics, then exec gunicorn so that it is the process `docker stop` signals.
set -eu

templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca

# wait.args names the dependencies, one argument per line.
# shellcheck disable=SC2046 # one argument per line, none with spaces
monasca-wait $(cat /etc/monasca/wait.args)

exec gunicorn --config /etc/monasca/log-api-gunicorn.conf --paste /etc/monasca/log-api-paste.ini
