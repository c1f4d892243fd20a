#!/bin/sh
# monasca/keystone: render the configuration, wait for the database, bring
# the schema, the keys and the bootstrap data up to date (every start,
# idempotent), then exec gunicorn so that it is the process `docker stop`
# signals.
set -eu

# keystone 24's db_sync passes the database URL through configparser, which
# takes % as interpolation; @ would end the password in the URL.
case "${KEYSTONE_DB_PASSWORD:-}" in     # unset: monasca-start names it
    *[@%]*)
        echo "keystone: error: KEYSTONE_DB_PASSWORD may not contain @ or % (keystone-manage db_sync cannot take them)" >&2
        exit 1
        ;;
esac

monasca-start

manage() {
    keystone-manage --config-file /etc/monasca/keystone.conf "$@"
}
manage db_sync
# Both leave an existing key repository alone; the keys are on the volume,
# so tokens and encrypted credentials outlive the container.
manage fernet_setup --keystone-user monasca --keystone-group monasca
manage credential_setup --keystone-user monasca --keystone-group monasca
keystone-bootstrap

# No arguments: Keystone reads sys.argv as its own command line, so gunicorn
# takes its settings, the application included, from ./gunicorn.conf.py.
cd /etc/monasca
exec gunicorn
