#!/bin/sh
# kafka-console-consumer.sh, as in the Apache distribution.
exec kafka-run-class.sh org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
