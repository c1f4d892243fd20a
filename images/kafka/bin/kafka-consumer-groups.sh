#!/bin/sh
# kafka-consumer-groups.sh, as in the Apache distribution.
exec kafka-run-class.sh org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@"
