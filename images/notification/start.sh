#!/bin/sh
# monasca/notification: render the configuration, wait for Kafka (with its
# topics) and MySQL (with the monasca schema), then exec the notification
# engine so that it is the process `docker stop` signals.
set -eu

# monasca-notification-run is upstream's monasca-notification whose poison
# alarm transitions are skipped with their offset (see the script).
exec monasca-start monasca-notification-run --config-file /etc/monasca/monasca-notification.conf
