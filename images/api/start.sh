#!/bin/sh
# monasca/api: render the configuration, wait for the dependencies, then
# exec gunicorn so that it is the process `docker stop` signals.
set -eu

exec monasca-start gunicorn --config /etc/monasca/api-gunicorn.conf --paste /etc/monasca/api-config.ini
