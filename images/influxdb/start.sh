#!/bin/sh
# monasca/influxdb: render the configuration, then exec influxd so that it
# is the process `docker stop` signals. The server has no dependencies; the
# database, its retention policy and the users are made by `init`.
set -eu

templer -t -f -c /etc/monasca/templates/defaults.yml \
    /etc/monasca/templates/influxdb.conf.j2 /etc/monasca

exec influxd -config /etc/monasca/influxdb.conf
