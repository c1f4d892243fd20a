#!/bin/sh
# monasca/agent-collector: render agent.yaml and the check configurations,
# wait for the forwarder, add your own checks, then exec the collector so that it is the process
# `docker stop` signals.
set -eu

CONF_D=/etc/monasca/agent/conf.d
USER_PLUGINS=/plugins.d

# Host's /proc mounted at /rootfs/proc (upstream's place): read it instead
# of the container's, unless PROCESS_FS_PATH says otherwise.
if [ -z "${PROCESS_FS_PATH:-}" ] && [ -r /rootfs/proc/stat ]; then
    PROCESS_FS_PATH=/rootfs/proc
    export PROCESS_FS_PATH
fi

# A fresh conf.d each start: a check switched off since the last start
# must not linger. (It is in /run/monasca through a link: a new tmpfs has none.)
mkdir -p "$(readlink -m "$CONF_D")"
find "$CONF_D" -mindepth 1 -delete
# agent.yaml from monasca/agent-base's templates, conf.d from this image's;
# then the wait for the forwarder.
monasca-start --templates /etc/monasca/agent-base/templates

# A check that is switched off renders to blank lines: drop it.
for f in "$CONF_D"/*.yaml; do
    if ! grep -q '[^[:space:]]' "$f"; then
        rm -f "$f"
    fi
done

# Checks of your own: /plugins.d/*.yaml as they are, *.yaml.j2 rendered
# with the same variables.
if [ -d "$USER_PLUGINS" ]; then
    for f in "$USER_PLUGINS"/*.yaml; do
        if [ -e "$f" ]; then
            cp "$f" "$CONF_D/"
        fi
    done
    for f in "$USER_PLUGINS"/*.yaml.j2; do
        if [ -e "$f" ]; then
            templer -t -f \
                -c /etc/monasca/agent-base/templates/defaults.yml -c /etc/monasca/templates/defaults.yml \
                "$f" "$CONF_D/$(basename "$f" .j2)"
        fi
    done
fi
checks=""
for f in "$CONF_D"/*.yaml; do
    checks="$checks $(basename "$f" .yaml)"
done
echo "start.sh: checks:$checks"

exec monasca-collector foreground
