#!/bin/sh
# monasca/notification: render the configuration, wait for Kafka (with its
# topics) and MySQL (with the monasca schema), then exec the notification
# engine so that it is the process `docker stop` signals.
set -eu

templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca

# wait.args names the dependencies; the password stays a ${VAR} reference
# that monasca-wait fills from the environment, out of files and process lists.
# shellcheck disable=SC2046 # one argument per line, none with spaces
monasca-wait $(cat /etc/monasca/wait.args)

# monasca-notification-run is upstream's monasca-notification whose poison
# alarm transitions are skipped with their offset (see the script).
exec monasca-notification-run --config-file /etc/monasca/monasca-notification.conf
