#!/bin/sh
# kafka-configs.sh, as in the Apache distribution.
exec kafka-run-class.sh kafka.admin.ConfigCommand "$@"
