#!/bin/sh
# monasca/log-persister: render the configuration, wait for Kafka (with the
# log topic) and OpenSearch, then exec the persister so that it is the
# process `docker stop` signals.
set -eu

exec monasca-start monasca-log-persister --config /etc/monasca/log-persister.yml
