"""monasca/mysql: the users and databases it makes, the Monasca schema from the
api image's migrations, health, restart with a changed password, clean stop."""
import uuid
from urllib.parse import quote

import pymysql
import pytest

from tests.image import built_image
from tests.support import docker, wait_healthy

IMAGE = "monasca/mysql:latest"
# Passwords with the characters that break naive quoting.
PASSWORDS = {
    "MYSQL_ROOT_PASSWORD": "r00t$pw'x",
    "API_PASSWORD": "a'p\\i$$",
    "NOTIFICATION_PASSWORD": "n0tif",
    "THRESH_PASSWORD": 'th"resh',
    "KEYSTONE_DB_PASSWORD": "ks pass",
}


mysql_image = built_image("mysql")


api_image = built_image("api")


@pytest.fixture(scope="module")
def network():
    name = f"test-mysql-{uuid.uuid4().hex[:8]}"
    docker("network", "create", name)
    yield name
    docker("network", "rm", name, check=False)


@pytest.fixture(scope="module")
def volume():
    name = f"test-mysql-{uuid.uuid4().hex[:8]}"
    docker("volume", "create", name)
    yield name
    docker("volume", "rm", "-f", name, check=False)


def env_args(passwords):
    args = []
    for key, value in passwords.items():
        args += ["-e", f"{key}={value}"]
    return args


def start(image, network, volume, passwords):
    name = f"test-mysql-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, "--network", network, "--network-alias", "mysql",
           "--health-interval", "1s", "--health-start-period", "60s",
           "-v", f"{volume}:/var/lib/monasca/mysql", "-p", "127.0.0.1::3306",
           *env_args(passwords), image)
    return name


def host_port(container):
    return int(docker("port", container, "3306").stdout.splitlines()[0].rsplit(":", 1)[1])


def connect(port, user, password, database=None):
    return pymysql.connect(host="127.0.0.1", port=port, user=user, password=password,
                           database=database, connect_timeout=5)


@pytest.fixture(scope="module")
def server(mysql_image, network, volume):
    name = start(mysql_image, network, volume, PASSWORDS)
    try:
        wait_healthy(name)
        yield name
    finally:
        docker("rm", "-f", "-v", name, check=False)


def migrate(api_image, network, password):
    url = f"mysql+pymysql://monapi:{quote(password, safe='')}@mysql:3306/mon"
    return docker("run", "--rm", "--network", network, "-e", f"OS_DATABASE__CONNECTION={url}",
                  api_image, "monasca_db", "upgrade", check=False)


@pytest.mark.parametrize("missing", ["MYSQL_ROOT_PASSWORD", "API_PASSWORD", "KEYSTONE_DB_PASSWORD"])
def test_missing_password_is_named(mysql_image, missing):
    passwords = {k: v for k, v in PASSWORDS.items() if k != missing}
    result = docker("run", "--rm", *env_args(passwords), mysql_image, check=False)
    assert result.returncode != 0
    assert f"{missing} is required" in result.stderr


def test_users_may_be_left_out(mysql_image):
    """CREATE_MON_USERS=false and KEYSTONE_DB_ENABLED=false need only root's password."""
    result = docker("run", "--rm", "-e", "MYSQL_ROOT_PASSWORD=x", "-e", "CREATE_MON_USERS=false",
                    "-e", "KEYSTONE_DB_ENABLED=no", mysql_image,
                    "sh", "-c", "templer -t -f -c /etc/monasca/templates/defaults.yml "
                    "/etc/monasca/templates /etc/monasca && cat /etc/monasca/init.yml")
    assert result.returncode == 0, result.stderr
    assert "API_PASSWORD" not in result.stdout and "keystone" not in result.stdout


def test_users_log_in_with_their_passwords(server):
    port = host_port(server)
    for user, variable, database in [("monapi", "API_PASSWORD", "mon"),
                                     ("notification", "NOTIFICATION_PASSWORD", "mon"),
                                     ("thresh", "THRESH_PASSWORD", "mon"),
                                     ("keystone", "KEYSTONE_DB_PASSWORD", "keystone"),
                                     ("root", "MYSQL_ROOT_PASSWORD", "mysql")]:
        with connect(port, user, PASSWORDS[variable], database) as connection:
            with connection.cursor() as cursor:
                cursor.execute("SELECT CURRENT_USER()")
                assert cursor.fetchone()[0] == f"{user}@%"


def test_wrong_password_is_refused(server):
    port = host_port(server)
    for user, password in [("monapi", "wrong"), ("root", ""), ("root", "wrong"), ("", "")]:
        with pytest.raises(pymysql.err.OperationalError) as error:
            connect(port, user, password)
        assert error.value.args[0] == 1045


def test_grants_stay_on_own_database(server):
    with connect(host_port(server), "notification", PASSWORDS["NOTIFICATION_PASSWORD"]) as connection:
        with connection.cursor() as cursor:
            cursor.execute("SHOW DATABASES")
            assert {row[0] for row in cursor.fetchall()} == {"information_schema", "mon"}


def test_socket_login_inside_the_container(server):
    result = docker("exec", server, "mariadb", "-N", "-e", "SELECT CURRENT_USER()")
    assert result.stdout.strip() == "monasca@localhost"
    assert docker("exec", server, "id", "-u").stdout.strip() != "0"


def test_api_migrations_make_the_schema(server, api_image, network):
    result = migrate(api_image, network, PASSWORDS["API_PASSWORD"])
    assert result.returncode == 0, result.stdout + result.stderr
    again = migrate(api_image, network, PASSWORDS["API_PASSWORD"])
    assert again.returncode == 0, again.stdout + again.stderr
    with connect(host_port(server), "monapi", PASSWORDS["API_PASSWORD"], "mon") as connection:
        with connection.cursor() as cursor:
            cursor.execute("SHOW TABLES")
            tables = {row[0] for row in cursor.fetchall()}
    assert {"alarm_definition", "alarm", "alarm_action", "notification_method", "sub_alarm",
            "sub_alarm_definition", "alembic_version"} <= tables


THRESH_READS = {"alarm_definition", "sub_alarm_definition", "sub_alarm_definition_dimension"}
THRESH_WRITES = {"alarm", "sub_alarm", "alarm_metric", "metric_definition", "metric_definition_dimensions",
                 "metric_dimension"}


def test_thresh_has_only_the_grants_it_uses(server):
    """Per-table grants, given before the migrations made the tables, hold once they exist."""
    with connect(host_port(server), "thresh", PASSWORDS["THRESH_PASSWORD"], "mon") as connection:
        with connection.cursor() as cursor:
            cursor.execute("SHOW TABLES")
            assert {row[0] for row in cursor.fetchall()} == THRESH_READS | THRESH_WRITES
            for table in THRESH_READS | THRESH_WRITES:
                cursor.execute(f"SELECT COUNT(*) FROM `{table}`")
            for table in THRESH_WRITES:
                cursor.execute(f"DELETE FROM `{table}` WHERE 1 = 0")
            for statement in ["DELETE FROM alarm_definition WHERE 1 = 0", "SELECT * FROM notification_method",
                              "DROP TABLE alarm", "ALTER TABLE alarm ADD COLUMN x INT"]:
                with pytest.raises(pymysql.err.OperationalError) as refused:
                    cursor.execute(statement)
                assert refused.value.args[0] in (1142, 1143), statement


def test_stop_is_clean_and_restart_applies_changed_password(server, mysql_image, network, volume):
    # Exit 0 says MariaDB ended on the TERM within the 20 s: the KILL after them
    # would make it 137. How long `docker stop` takes is the machine's load.
    docker("stop", "--time", "20", server)
    assert docker("inspect", "-f", "{{.State.ExitCode}}", server).stdout.strip() == "0"
    assert "Shutdown complete" in docker("logs", server).stderr
    docker("rm", server)

    changed = dict(PASSWORDS, API_PASSWORD="n3w-api")
    second = start(mysql_image, network, volume, changed)
    try:
        wait_healthy(second)
        logs = docker("logs", second)
        assert "first start" not in logs.stdout + logs.stderr
        port = host_port(second)
        with pytest.raises(pymysql.err.OperationalError):
            connect(port, "monapi", PASSWORDS["API_PASSWORD"])
        with connect(port, "monapi", "n3w-api", "mon") as connection:
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM alarm_definition")
                assert cursor.fetchone() == (0,)
        for secret in PASSWORDS.values():
            assert secret not in logs.stdout + logs.stderr
    finally:
        docker("rm", "-f", "-v", second, check=False)
