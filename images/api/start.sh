#!/bin/sh
# monasca/api: render the configuration, wait for the dependencies, then
# exec gunicorn so that it is the process `docker stop` signals.
set -eu

templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca

# wait.args names the dependencies; passwords stay ${VAR} references that
# monasca-wait fills from the environment, out of files and process lists.
# shellcheck disable=SC2046 # one argument per line, none with spaces
monasca-wait $(cat /etc/monasca/wait.args)

exec gunicorn --config /etc/monasca/api-gunicorn.conf --paste /etc/monasca/api-config.ini
