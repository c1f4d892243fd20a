#!/bin/sh
# monasca/thresh: render the configuration, wait for Kafka (with its topics)
# and MySQL (with the tables the engine reads), then exec the threshold
# engine so that it is the process `docker stop` signals.
set -eu

# thresh.yml holds no password: the engine reads MYSQL_DB_PASSWORD itself.
exec monasca-start monasca-thresh --config /etc/monasca/thresh.yml
