"""monasca/influxdb: authentication on, the idempotent init job, users that work."""
import contextlib
import json
import textwrap
import time
import uuid

import pytest

from tests.image import built_image
from tests.support import docker, wait_healthy

IMAGE = "monasca/influxdb:latest"
PASSWORDS = {"INFLUXDB_ADMIN_PASSWORD": "adm'in\\pw-1", "API_PASSWORD": 'api"pw-2',
             "PERSISTER_PASSWORD": "pers$pw-3"}


influxdb_image = built_image("influxdb")


@contextlib.contextmanager
def running_server(image, *env):
    """A server on a network of its own, as InfluxDB; its name and network."""
    suffix = uuid.uuid4().hex[:8]
    network, name = f"influxdb-test-{suffix}", f"influxdb-test-{suffix}"
    docker("network", "create", network)
    try:
        docker("run", "-d", "--name", name, "--network", network, "--network-alias", "influxdb",
               "--health-interval", "2s", *env_args(dict(env)), image)
        wait_healthy(name)
        yield {"name": name, "network": network}
    finally:
        docker("rm", "-f", "-v", name, check=False)
        docker("network", "rm", network, check=False)


@pytest.fixture(scope="module")
def server(influxdb_image):
    with running_server(influxdb_image) as started:
        yield started


def env_args(env):
    return [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]


def init(server, **extra):
    return docker("run", "--rm", "--network", server["network"],
                  *env_args({**PASSWORDS, **extra}), IMAGE, "init", check=False, timeout=120)


# Runs in a container on the server's network: one HTTP call to InfluxDB as
# the user whose password is in $PW; prints the status and the body.
CLIENT = textwrap.dedent("""
    import base64, os, sys, urllib.error, urllib.parse, urllib.request
    path, user, data = sys.argv[1], sys.argv[2], sys.argv[3].encode() if len(sys.argv) > 3 else None
    headers = {}
    if user:
        headers["Authorization"] = "Basic " + base64.b64encode(
            (user + ":" + os.environ["PW"]).encode()).decode()
    request = urllib.request.Request("http://influxdb:8086" + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(response.status, response.read().decode())
    except urllib.error.HTTPError as exc:
        print(exc.code, exc.read().decode())
""")


def call(server, path, user="", password="", data=None):
    result = docker("run", "--rm", "--network", server["network"], "-e", f"PW={password}", IMAGE,
                    "python3", "-c", CLIENT, path, user, *([data] if data is not None else []),
                    timeout=60)
    status, _, body = result.stdout.strip().partition(" ")
    return int(status), body


def query(server, statement, user="admin", password=PASSWORDS["INFLUXDB_ADMIN_PASSWORD"]):
    return call(server, "/query?db=mon&q=" + statement.replace(" ", "+"), user, password)


def test_init_refuses_to_run_without_a_password(influxdb_image):
    env = {k: v for k, v in PASSWORDS.items() if k != "API_PASSWORD"}
    result = docker("run", "--rm", *env_args(env), influxdb_image, "init", check=False, timeout=60)
    assert result.returncode != 0
    assert "API_PASSWORD is required" in result.stderr


def test_init_names_the_server_that_never_came(influxdb_image):
    result = docker("run", "--rm", *env_args({**PASSWORDS, "MONASCA_WAIT_TIMEOUT": "3"}),
                    influxdb_image, "init", check=False, timeout=60)
    assert result.returncode != 0
    assert "http://influxdb:8086/ping#status=204" in result.stderr
    for secret in PASSWORDS.values():
        assert secret not in result.stdout + result.stderr


def test_authentication_is_on(server):
    assert call(server, "/ping")[0] == 204
    # Before init: no admin yet, and InfluxDB answers nothing but CREATE USER.
    status, body = query(server, "SHOW DATABASES", user="")
    assert status == 403 and "create admin user first" in body, body


def test_init_makes_database_policy_and_users_and_is_idempotent(server):
    first = init(server)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "created admin user admin" in first.stdout
    assert "created database mon with retention policy default_mon (30d)" in first.stdout
    assert "created user mon_api with READ on mon" in first.stdout
    assert "created user mon_persister with WRITE on mon" in first.stdout

    second = init(server)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "created" not in second.stdout and "set" not in second.stdout
    for secret in PASSWORDS.values():
        assert secret not in first.stdout + first.stderr + second.stdout + second.stderr

    status, body = query(server, "SHOW RETENTION POLICIES ON mon")
    assert status == 200 and '"default_mon","720h0m0s"' in body.replace(" ", ""), body


def test_persister_writes_and_api_reads(server):
    persister, api = ("mon_persister", PASSWORDS["PERSISTER_PASSWORD"]), ("mon_api", PASSWORDS["API_PASSWORD"])
    status, body = call(server, "/write?db=mon&precision=s", *persister, data=f"cpu,host=a value=42 {int(time.time())}")
    assert status == 204, body
    status, body = query(server, "SELECT value FROM cpu", *api)
    assert status == 200 and "42" in body, body
    # Nobody gets in without a password, and each user has only what it needs.
    assert query(server, "SHOW DATABASES", user="")[0] == 401
    assert call(server, "/write?db=mon", *api, data="cpu,host=b value=1")[0] == 403
    assert "error" in query(server, "SELECT value FROM cpu", *persister)[1]
    assert "error" in query(server, "DROP DATABASE mon", *api)[1]
    # The wait URL the persister image uses passes with these credentials.
    wait = docker("run", "--rm", "--network", server["network"], "-e",
                  f"INFLUX_PASSWORD={PASSWORDS['PERSISTER_PASSWORD']}", IMAGE, "monasca-wait",
                  "--timeout=10", "influxdb://mon_persister:${INFLUX_PASSWORD}@influxdb:8086/mon",
                  check=False, timeout=60)
    assert wait.returncode == 0, wait.stderr


def test_init_follows_retention_and_password_changes(server):
    result = init(server, INFLUXDB_DEFAULT_RETENTION="7d", API_PASSWORD="new-api-pw")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "retention policy default_mon of mon set to 7d" in result.stdout
    assert "user mon_api: password set" in result.stdout
    status, body = query(server, "SHOW RETENTION POLICIES ON mon")
    assert '"default_mon","168h0m0s"' in body.replace(" ", ""), body
    assert query(server, "SHOW MEASUREMENTS", "mon_api", "new-api-pw")[0] == 200
    assert init(server).returncode == 0   # back to the first password and 30 days


def test_stop_is_clean_and_data_survives(server):
    started = time.monotonic()
    docker("stop", "-t", "20", server["name"], timeout=60)
    assert time.monotonic() - started < 20
    assert docker("inspect", "-f", "{{.State.ExitCode}}", server["name"]).stdout.strip() == "0"
    docker("start", server["name"])
    wait_healthy(server["name"])
    again = init(server)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "created" not in again.stdout
    status, body = query(server, "SELECT value FROM cpu")
    assert status == 200 and "42" in body, body


def test_a_shorter_retention_deletes_the_older_days_and_keeps_the_rest(influxdb_image):
    persister = ("mon_persister", PASSWORDS["PERSISTER_PASSWORD"])
    day = 86400
    with running_server(influxdb_image, ("INFLUXDB_RETENTION_CHECK_INTERVAL", "1s")) as server:
        assert init(server, INFLUXDB_DEFAULT_RETENTION="INF").returncode == 0
        now = int(time.time())
        points = "\n".join(f"cpu,host=a value={age} {now - age * day}" for age in (10, 4, 2, 0))
        status, body = call(server, "/write?db=mon&precision=s", *persister, data=points)
        assert status == 204, body

        shorter = init(server, INFLUXDB_DEFAULT_RETENTION="3d")
        assert "retention policy default_mon of mon set to 3d" in shorter.stdout, shorter.stdout
        # One-day shard groups: the days wholly older than 3 days go at the next check.
        deadline = time.monotonic() + 60
        while True:
            status, body = query(server, "SELECT value FROM cpu")
            kept = sorted(row[1] for row in json.loads(body)["results"][0]["series"][0]["values"])
            if kept == [0, 2] or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert kept == [0, 2], body
        # and a point older than the policy is refused, not stored
        status, body = call(server, "/write?db=mon&precision=s", *persister, data=f"cpu,host=a value=9 {now - 9 * day}")
        assert status == 400 and "beyond retention policy" in body, (status, body)
