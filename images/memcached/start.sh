#!/bin/sh
# monasca/memcached: render memcached's arguments, then exec it so that it is
# the process `docker stop` signals. No dependencies to wait for.
set -eu

templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca

# shellcheck disable=SC2046 # one argument per line, none with spaces
exec memcached $(cat /etc/monasca/memcached.args)
