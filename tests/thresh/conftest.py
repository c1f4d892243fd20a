"""A real MariaDB with the real `mon` schema, for the threshold engine's tests.

monasca/mysql makes the users (thresh with its per-table grants), the api
image's `monasca_db upgrade` makes the schema, as in deploy/compose. The
database port is published on 127.0.0.1 only; containers, their volumes and
the network are removed at the end of the session.
"""
import uuid

import pymysql
import pytest

from tests.support import MYSQL_PASSWORDS, build, docker, start_mon_database


def connect(port, user, password):
    return pymysql.connect(host="127.0.0.1", port=port, user=user, password=password,
                           database="mon", autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def mon_db():
    """{'port': published port, 'passwords': ...} of a monasca/mysql with the migrated schema."""
    build("mysql", "api")
    name = f"test-thresh-{uuid.uuid4().hex[:8]}"
    docker("network", "create", name)
    try:
        yield {"port": start_mon_database(name, name), "passwords": MYSQL_PASSWORDS}
    finally:
        docker("rm", "-f", "-v", name, check=False)
        docker("network", "rm", name, check=False)


@pytest.fixture(scope="session")
def api_db(mon_db):
    """The API's own user: definitions are written with it, as the API would."""
    with connect(mon_db["port"], "monapi", mon_db["passwords"]["API_PASSWORD"]) as connection:
        yield connection


@pytest.fixture(scope="session")
def thresh_login(mon_db):
    """Store arguments for the thresh user (THRESH_PASSWORD), on the published port."""
    return dict(host="127.0.0.1", port=mon_db["port"], database="mon", user="thresh",
                password=mon_db["passwords"]["THRESH_PASSWORD"])
