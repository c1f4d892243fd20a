#!/bin/sh
# monasca/agent-forwarder: render agent.yaml, wait for Keystone and the
# Monasca API, then exec the forwarder so that it is the process
# `docker stop` signals.
set -eu

templer -t -f \
    -c /etc/monasca/agent-base/templates/defaults.yml -c /etc/monasca/templates/defaults.yml \
    /etc/monasca/agent-base/templates /etc/monasca/templates /etc/monasca

# wait.args names the dependencies; OS_PASSWORD stays a ${OS_PASSWORD}
# reference that monasca-wait fills from the environment.
# shellcheck disable=SC2046 # one argument per line, none with spaces
monasca-wait $(cat /etc/monasca/wait.args)

exec monasca-forwarder
