#!/bin/sh
# kafka-topics.sh, as in the Apache distribution.
exec kafka-run-class.sh org.apache.kafka.tools.TopicCommand "$@"
