#!/bin/sh
# monasca/log-search: render the configuration, wait for OpenSearch and
# Keystone, then exec gunicorn so that it is the process `docker stop` signals.
set -eu

# log-search.yml holds no password: the app reads KEYSTONE_SERVICE_PASSWORD itself.
export LOG_SEARCH_CONFIG=/etc/monasca/log-search.yml
exec monasca-start gunicorn --config /etc/monasca/log-search-gunicorn.conf.py 'monasca_log_search.app:create()'
