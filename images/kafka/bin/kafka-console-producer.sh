#!/bin/sh
# kafka-console-producer.sh, as in the Apache distribution.
exec kafka-run-class.sh kafka.tools.ConsoleProducer "$@"
