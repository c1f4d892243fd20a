#!/bin/sh
# monasca/client: run the monasca CLI with the arguments given, so that
# `docker run --rm monasca/client metric-list` runs `monasca metric-list`.
#   version [--json]   the image's build information (monasca-entrypoint)
#   monasca ARGS...    monasca ARGS...
#   -x ... / SUBCMD    monasca -x ... / monasca SUBCMD ...
#   COMMAND ARGS...    a program on PATH (sh, id, ...) runs as is
set -eu

# Keystone defaults of the upstream image, unless the legacy names, ids or
# a clouds.yaml entry (OS_CLOUD) say otherwise. OS_PASSWORD has none.
if [ -z "${OS_CLOUD:-}" ]; then
    : "${OS_AUTH_URL:=http://keystone:5000/v3}"
    : "${OS_USERNAME:=mini-mon}"
    export OS_AUTH_URL OS_USERNAME
    if [ -z "${OS_PROJECT_ID:-}" ]; then
        : "${OS_PROJECT_NAME:=${OS_TENANT_NAME:-mini-mon}}"
        export OS_PROJECT_NAME
    fi
    if [ -z "${OS_USER_DOMAIN_ID:-}" ]; then
        : "${OS_USER_DOMAIN_NAME:=${OS_DOMAIN_NAME:-Default}}"
        export OS_USER_DOMAIN_NAME
    fi
    if [ -z "${OS_PROJECT_DOMAIN_ID:-}" ] && [ -z "${OS_PROJECT_ID:-}" ]; then
        : "${OS_PROJECT_DOMAIN_NAME:=${OS_DOMAIN_NAME:-Default}}"
        export OS_PROJECT_DOMAIN_NAME
    fi
fi

if [ "$#" -eq 0 ]; then
    exec monasca --help
fi
case "$1" in
    version)
        exec monasca-entrypoint "$@" ;;
    monasca)
        shift
        exec monasca "$@" ;;
    -*)
        exec monasca "$@" ;;
esac
if command -v "$1" >/dev/null 2>&1; then
    exec "$@"
fi
exec monasca "$@"
