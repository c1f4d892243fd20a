#!/bin/sh
# monasca/mysql: render the configuration, create the data directory on the
# first start, apply the databases and users on a private socket-only server
# (every start, idempotent), then exec MariaDB so that it is the process
# `docker stop` signals.
set -eu

monasca-start

conf=/etc/monasca/my.cnf
datadir=/var/lib/monasca/mysql
init_socket=/run/mysqld/init.sock

if [ ! -d "$datadir/mysql" ]; then
    echo "mysql: first start: creating the data directory $datadir"
    # root@localhost and monasca@localhost authenticate by the socket's
    # peer user; the init below gives root its password.
    mariadb-install-db --defaults-file="$conf" --skip-test-db \
        --auth-root-authentication-method=socket --auth-root-socket-user=monasca \
        >/dev/null
fi

# A private server for the init: no TCP, so nobody connects before the
# users and their grants are in place.
mariadbd --defaults-file="$conf" --skip-networking --socket="$init_socket" &
init_pid=$!
stop_init_server() {
    mariadb-admin --defaults-file="$conf" --socket="$init_socket" shutdown 2>/dev/null \
        || kill "$init_pid" 2>/dev/null || true
    wait "$init_pid" || true
}
trap stop_init_server EXIT

tries=0
until mariadb-admin --defaults-file="$conf" --socket="$init_socket" ping >/dev/null 2>&1; do
    if ! kill -0 "$init_pid" 2>/dev/null; then
        echo "mysql: error: the server stopped during start-up (see above)" >&2
        exit 1
    fi
    tries=$((tries + 1))
    if [ "$tries" -ge 120 ]; then
        echo "mysql: error: the server did not answer on $init_socket within 60s" >&2
        exit 1
    fi
    sleep 0.5
done

# A data directory from an older MariaDB gets its system tables upgraded.
if mariadb-upgrade --defaults-file="$conf" --socket="$init_socket" --user=monasca \
        --check-if-upgrade-is-needed >/dev/null 2>&1; then
    mariadb-upgrade --defaults-file="$conf" --socket="$init_socket" --user=monasca --silent
fi

monasca-mysql-init "$init_socket"

trap - EXIT
stop_init_server

exec mariadbd --defaults-file="$conf"
