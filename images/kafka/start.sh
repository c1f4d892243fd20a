#!/bin/sh
# monasca/kafka: render the configuration, format the data directory on the
# first start, then exec the broker (KRaft broker and controller in one JVM)
# so that it is the process `docker stop` signals.
set -eu

templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca

# The storage is formatted once, with the cluster id; a restart on the same
# volume keeps its data.
if [ ! -f /var/lib/monasca/kafka/meta.properties ]; then
    # shellcheck disable=SC2046 # one argument per line, none with spaces
    kafka-storage.sh $(cat /etc/monasca/format.args)
fi

# shellcheck disable=SC2046 # JVM options, split on white space like Apache's scripts do
exec java $(cat /etc/monasca/jvm.options) -cp '/opt/kafka/libs/*' \
    kafka.Kafka /etc/monasca/server.properties
