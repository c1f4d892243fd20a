#!/bin/sh
# kafka-run-class.sh CLASS [ARG...]: run a Kafka tool class with the image's
# jars, a small heap and WARN logging to stderr (as Apache's tool scripts do).
set -eu
class=${1:?usage: kafka-run-class.sh CLASS [ARG...]}
shift
exec java -Xmx256M -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties \
    -cp '/opt/kafka/libs/*' "$class" "$@"
