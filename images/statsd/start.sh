#!/bin/sh
# monasca/statsd: render agent.yaml, wait for the forwarder, then exec
# monasca-statsd so that it is the process `docker stop` signals.
set -eu

templer -t -f \
    -c /etc/monasca/agent-base/templates/defaults.yml -c /etc/monasca/templates/defaults.yml \
    /etc/monasca/agent-base/templates /etc/monasca/templates /etc/monasca

# wait.args names the dependencies, one per line; with none there is
# nothing to wait for.
if grep -qv -e '^--' -e '^[[:space:]]*$' /etc/monasca/wait.args; then
    # shellcheck disable=SC2046 # one argument per line, none with spaces
    monasca-wait $(cat /etc/monasca/wait.args)
fi

exec monasca-statsd
