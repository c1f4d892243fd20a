#!/bin/sh
# monasca/kafka: render the configuration, format the data directory on the
# first start, then exec the broker (KRaft broker and controller in one JVM)
# so that it is the process `docker stop` signals.
set -eu

monasca-start

# The storage is formatted once, with the cluster id; a restart on the same
# volume keeps its data.
if [ ! -f /var/lib/monasca/kafka/meta.properties ]; then
    # shellcheck disable=SC2046 # one argument per line, none with spaces
    kafka-storage.sh $(cat /etc/monasca/format.args)
fi

# java reads the JVM options from the rendered file itself (@argfile).
exec java @/etc/monasca/jvm.options -cp '/opt/kafka/libs/*' \
    kafka.Kafka /etc/monasca/server.properties
