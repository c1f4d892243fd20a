#!/bin/sh
# monasca/log-api: render the configuration, wait for Kafka and the logs
# topics, then exec gunicorn so that it is the process `docker stop` signals.
set -eu

exec monasca-start gunicorn --config /etc/monasca/log-api-gunicorn.conf --paste /etc/monasca/log-api-paste.ini
