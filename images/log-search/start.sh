#!/bin/sh
# monasca/log-search: render the configuration, wait for OpenSearch and
# Keystone, then exec gunicorn so that it is the process `docker stop` signals.
set -eu

templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca

# wait.args names the dependencies, one argument per line; the password stays
# a ${VAR} reference that monasca-wait fills from the environment.
# shellcheck disable=SC2046 # one argument per line, none with spaces
monasca-wait $(cat /etc/monasca/wait.args)

# log-search.yml holds no password: the app reads KEYSTONE_SERVICE_PASSWORD itself.
export LOG_SEARCH_CONFIG=/etc/monasca/log-search.yml
exec gunicorn --config /etc/monasca/log-search-gunicorn.conf.py 'monasca_log_search.app:create()'
