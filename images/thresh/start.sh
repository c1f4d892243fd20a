#!/bin/sh
# monasca/thresh: render the configuration, wait for Kafka (with its topics)
# and MySQL (with the tables the engine reads), then exec the threshold
# engine so that it is the process `docker stop` signals.
set -eu

templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca

# wait.args names the dependencies; the password stays a ${VAR} reference
# that monasca-wait fills from the environment, out of files and process lists.
# shellcheck disable=SC2046 # one argument per line, none with spaces
monasca-wait $(cat /etc/monasca/wait.args)

# thresh.yml holds no password: the engine reads MYSQL_DB_PASSWORD itself.
exec monasca-thresh --config /etc/monasca/thresh.yml
