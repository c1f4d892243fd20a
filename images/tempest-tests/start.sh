#!/bin/sh
# monasca/tempest-tests: render tempest.conf, wait until Keystone issues a
# token and the Monasca API answers, then exec one `tempest run`; the
# container's exit status is the test result.
set -eu

monasca-start

# tempest.args holds one argument per line; a regex may contain spaces.
set --
while IFS= read -r arg || [ -n "$arg" ]; do
    if [ -n "$arg" ]; then set -- "$@" "$arg"; fi
done < /etc/monasca/tempest.args

# The work directory keeps .stestr (results of every run) and tempest.log.
mkdir -p /var/lib/monasca/tempest/locks
cd /var/lib/monasca/tempest
exec tempest run "$@"
