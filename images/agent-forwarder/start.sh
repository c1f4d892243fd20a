#!/bin/sh
# monasca/agent-forwarder: render agent.yaml, wait for Keystone and the
# Monasca API, then exec the forwarder so that it is the process
# `docker stop` signals.
set -eu

# agent.yaml comes from monasca/agent-base's templates, with this image's defaults.
exec monasca-start --templates /etc/monasca/agent-base/templates monasca-forwarder
