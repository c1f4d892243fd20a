#!/bin/sh
# monasca/memcached: render memcached's arguments, then exec it so that it is
# the process `docker stop` signals. No dependencies to wait for.
set -eu

exec monasca-start memcached @/etc/monasca/memcached.args
