#!/bin/sh
# kafka-broker-api-versions.sh, as in the Apache distribution.
exec kafka-run-class.sh kafka.admin.BrokerApiVersionsCommand "$@"
