"""monasca/keystone on monasca/mysql: tokens for the Monasca users, the
monitoring endpoint in the catalog, refusals, restart with the keys kept."""
import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

from tests.support import build, docker, wait_healthy

IMAGE = "monasca/keystone:latest"
DB_PASSWORD = "k$ey/st:one"
PASSWORDS = {
    "KEYSTONE_DB_PASSWORD": DB_PASSWORD,
    "KEYSTONE_ADMIN_PASSWORD": "adm$in'pw",
    "MONASCA_USER_PASSWORD": "mini$mon",
    "MONASCA_AGENT_PASSWORD": "ag\"ent",
    "MONASCA_READ_ONLY_PASSWORD": "read only",
}
# Optional: without one, that service user is not made.
SERVICE_PASSWORDS = {"MONASCA_API_SERVICE_PASSWORD": "a$pi-svc", "MONASCA_LOG_API_SERVICE_PASSWORD": "log-svc"}
READ_ONLY = ["--read-only", "--tmpfs", "/run/monasca:uid=42400,gid=42400,mode=0700",
             "--tmpfs", "/tmp:uid=42400,gid=42400,mode=0700", "--cap-drop", "ALL",
             "--security-opt", "no-new-privileges:true"]
MYSQL_ENV = {"MYSQL_ROOT_PASSWORD": "root", "API_PASSWORD": "a", "NOTIFICATION_PASSWORD": "n",
             "THRESH_PASSWORD": "t", "KEYSTONE_DB_PASSWORD": DB_PASSWORD}


@pytest.fixture(scope="module")
def images(base_image):
    build("mysql", "keystone")
    return IMAGE


def env_args(env):
    args = []
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    return args


@pytest.fixture(scope="module")
def stack(images):
    """mysql and keystone on a private network; yields a function (re)starting keystone."""
    suffix = uuid.uuid4().hex[:8]
    network, volume, mysql = f"test-ks-{suffix}", f"test-ks-{suffix}", f"test-ks-mysql-{suffix}"
    containers = [mysql]
    docker("network", "create", network)
    docker("volume", "create", volume)

    def start_keystone(**extra):
        name = f"test-ks-{uuid.uuid4().hex[:8]}"
        containers.append(name)
        # as in the stack: a read-only root, the rendered files on a tmpfs
        docker("run", "-d", "--name", name, "--network", network, "--health-interval", "2s", *READ_ONLY,
               "--health-start-period", "120s", "-v", f"{volume}:/var/lib/monasca/keystone",
               "-p", "127.0.0.1::5000", *env_args(dict(PASSWORDS, **SERVICE_PASSWORDS, **extra)), IMAGE)
        wait_healthy(name, timeout=180)      # its start period is 120 s: db_sync and bootstrap on a busy host
        port = docker("port", name, "5000").stdout.splitlines()[0].rsplit(":", 1)[1]
        return name, f"http://127.0.0.1:{port}/v3"

    try:
        docker("run", "-d", "--name", mysql, "--network", network, "--network-alias", "mysql",
               "--health-interval", "1s", *env_args(MYSQL_ENV), "monasca/mysql:latest")
        wait_healthy(mysql)
        yield start_keystone
    finally:
        for name in containers:
            docker("rm", "-f", "-v", name, check=False)
        docker("volume", "rm", "-f", volume, check=False)
        docker("network", "rm", network, check=False)


@pytest.fixture(scope="module")
def keystone(stack):
    return stack()


def request(url, body=None, headers=None, method=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), {}


def token(base, user, password, project):
    auth = {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}
    return request(base + "/auth/tokens", {"auth": auth})


@pytest.mark.parametrize("missing", list(PASSWORDS))
def test_missing_password_is_named(images, missing):
    env = {k: v for k, v in PASSWORDS.items() if k != missing}
    result = docker("run", "--rm", *env_args(env), IMAGE, check=False)
    assert result.returncode != 0
    assert f"{missing} is required" in result.stderr


def test_wait_names_the_database(images):
    result = docker("run", "--rm", "-e", "MONASCA_WAIT_TIMEOUT=3", *env_args(PASSWORDS), IMAGE, check=False)
    assert result.returncode != 0
    assert "mysql://keystone:${KEYSTONE_DB_PASSWORD}@mysql:3306/keystone" in result.stderr
    assert DB_PASSWORD not in result.stdout + result.stderr


def test_database_password_keystone_cannot_take_is_refused(images):
    env = dict(PASSWORDS, KEYSTONE_DB_PASSWORD="p@ss")
    result = docker("run", "--rm", *env_args(env), IMAGE, check=False)
    assert result.returncode != 0
    assert "KEYSTONE_DB_PASSWORD may not contain @ or %" in result.stderr


def test_monasca_users_get_tokens_with_their_roles(keystone):
    _, base = keystone
    for user, variable, project, role in [
            ("mini-mon", "MONASCA_USER_PASSWORD", "mini-mon", "monasca-user"),
            ("monasca-agent", "MONASCA_AGENT_PASSWORD", "mini-mon", "monasca-agent"),
            ("monasca-read-only-user", "MONASCA_READ_ONLY_PASSWORD", "mini-mon", "monasca-read-only-user"),
            ("admin", "KEYSTONE_ADMIN_PASSWORD", "admin", "monasca-user")]:
        status, headers, body = token(base, user, PASSWORDS[variable], project)
        assert status == 201, user
        assert "X-Subject-Token" in headers
        assert role in {r["name"] for r in body["token"]["roles"]}, user


def role_names(body):
    return {r["name"] for r in body["token"]["roles"]}


def test_everyday_user_has_no_keystone_rights(keystone):
    """mini-mon holds monasca-user alone: listing or creating users is refused."""
    _, base = keystone
    status, headers, body = token(base, "mini-mon", PASSWORDS["MONASCA_USER_PASSWORD"], "mini-mon")
    assert status == 201 and role_names(body) == {"monasca-user"}
    mini_mon = {"X-Auth-Token": headers["X-Subject-Token"]}
    assert request(base + "/users", headers=mini_mon)[0] == 403
    new_user = {"user": {"name": f"intruder-{uuid.uuid4().hex[:6]}", "password": "x"}}
    assert request(base + "/users", new_user, headers=mini_mon)[0] == 403
    _, admin_headers, admin_body = token(base, "admin", PASSWORDS["KEYSTONE_ADMIN_PASSWORD"], "admin")
    assert {"admin", "monasca-user"} <= role_names(admin_body)
    assert request(base + "/users", headers={"X-Auth-Token": admin_headers["X-Subject-Token"]})[0] == 200


@pytest.mark.parametrize("user, variable", [("monasca-api", "MONASCA_API_SERVICE_PASSWORD"),
                                            ("monasca-log-api", "MONASCA_LOG_API_SERVICE_PASSWORD")])
def test_service_users_validate_tokens_and_nothing_more(keystone, user, variable):
    """What keystonemiddleware needs: another user's token validated (the
    service role's right); not the list of users (an admin's)."""
    _, base = keystone
    status, headers, body = token(base, user, SERVICE_PASSWORDS[variable], "service")
    assert status == 201 and role_names(body) == {"service"}
    service = {"X-Auth-Token": headers["X-Subject-Token"]}
    _, user_headers, _ = token(base, "mini-mon", PASSWORDS["MONASCA_USER_PASSWORD"], "mini-mon")
    status, _, body = request(base + "/auth/tokens", headers=dict(service, **{
        "X-Subject-Token": user_headers["X-Subject-Token"]}))
    assert status == 200 and body["token"]["user"]["name"] == "mini-mon"
    assert request(base + "/users", headers=service)[0] == 403
    # the everyday user may not validate a token that is not its own
    _, agent_headers, _ = token(base, "monasca-agent", PASSWORDS["MONASCA_AGENT_PASSWORD"], "mini-mon")
    assert request(base + "/auth/tokens", headers={"X-Auth-Token": user_headers["X-Subject-Token"],
                                                    "X-Subject-Token": agent_headers["X-Subject-Token"]})[0] == 403


def test_wrong_password_gets_401(keystone):
    _, base = keystone
    assert token(base, "mini-mon", "wrong", "mini-mon")[0] == 401
    assert token(base, "admin", "", "admin")[0] in (400, 401)
    assert token(base, "nobody", "x", "admin")[0] == 401


def test_catalog_has_monitoring_and_identity(keystone):
    _, base = keystone
    _, _, body = token(base, "mini-mon", PASSWORDS["MONASCA_USER_PASSWORD"], "mini-mon")
    catalog = {entry["type"]: entry for entry in body["token"]["catalog"]}
    monitoring = {e["interface"]: e["url"] for e in catalog["monitoring"]["endpoints"]}
    assert monitoring == {"public": "http://api:8070/v2.0", "internal": "http://api:8070/v2.0",
                          "admin": "http://api:8070/v2.0"}
    assert {e["region_id"] for e in catalog["monitoring"]["endpoints"]} == {"RegionOne"}
    identity = {e["interface"]: e["url"] for e in catalog["identity"]["endpoints"]}
    assert identity["public"] == identity["internal"] == "http://keystone:5000"
    assert "logs" not in catalog


def test_version_document(keystone):
    _, base = keystone
    status, _, body = request(base)
    assert status == 200 and body["version"]["id"] == "v3.14"


def grant_admin_role_by_hand(base, user, project):
    """As the admin, what the issue saw: mini-mon given Keystone's admin role."""
    _, headers, _ = token(base, "admin", PASSWORDS["KEYSTONE_ADMIN_PASSWORD"], "admin")
    auth = {"X-Auth-Token": headers["X-Subject-Token"]}

    def find(kind, name):
        return request(f"{base}/{kind}?name={name}", headers=auth)[2][kind][0]["id"]

    status = request(f"{base}/projects/{find('projects', project)}/users/{find('users', user)}"
                     f"/roles/{find('roles', 'admin')}", headers=auth, method="PUT")[0]
    assert status == 204


def test_restart_keeps_keys_and_applies_changes(stack, keystone):
    """A new container on the same volume and database still accepts the old
    token (the fernet keys persisted); changed settings converge."""
    name, base = keystone
    _, headers, _ = token(base, "mini-mon", PASSWORDS["MONASCA_USER_PASSWORD"], "mini-mon")
    old = headers["X-Subject-Token"]
    grant_admin_role_by_hand(base, "mini-mon", "mini-mon")
    assert "admin" in role_names(token(base, "mini-mon", PASSWORDS["MONASCA_USER_PASSWORD"], "mini-mon")[2])
    started = time.monotonic()
    docker("stop", "--time", "20", name)
    assert time.monotonic() - started < 20
    assert docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() == "0"
    docker("rm", name)

    second, base = stack(MONASCA_AGENT_PASSWORD="n3w", MONASCA_API_URL="http://monasca:8070/v2.0",
                         MONASCA_API_PUBLIC_URL="http://192.0.2.1:18070/v2.0",
                         MONASCA_LOG_API_URL="http://log-api:5607/v2.0",
                         KEYSTONE_PUBLIC_URL="http://192.0.2.1:15000")
    _, admin_headers, _ = token(base, "admin", PASSWORDS["KEYSTONE_ADMIN_PASSWORD"], "admin")
    status, _, body = request(base + "/auth/tokens", headers={
        "X-Auth-Token": admin_headers["X-Subject-Token"], "X-Subject-Token": old})
    assert status == 200 and body["token"]["user"]["name"] == "mini-mon"

    # bootstrap.yml does not give mini-mon admin: the next start took it back
    assert role_names(token(base, "mini-mon", PASSWORDS["MONASCA_USER_PASSWORD"], "mini-mon")[2]) == {"monasca-user"}
    assert token(base, "monasca-agent", PASSWORDS["MONASCA_AGENT_PASSWORD"], "mini-mon")[0] == 401
    status, _, body = token(base, "monasca-agent", "n3w", "mini-mon")
    assert status == 201
    catalog = {entry["type"]: entry for entry in body["token"]["catalog"]}
    # changed URLs: the existing endpoints updated, interface by interface
    def urls(kind):
        return {e["interface"]: e["url"] for e in catalog[kind]["endpoints"]}
    assert len(catalog["monitoring"]["endpoints"]) == 3
    assert urls("monitoring") == {"public": "http://192.0.2.1:18070/v2.0", "internal": "http://monasca:8070/v2.0",
                                  "admin": "http://monasca:8070/v2.0"}
    assert urls("identity") == {"public": "http://192.0.2.1:15000", "internal": "http://keystone:5000",
                                "admin": "http://keystone:5000"}
    assert set(urls("logs").values()) == {"http://log-api:5607/v2.0"}     # no public URL: the same

    logs = docker("logs", second)
    for secret in [*PASSWORDS.values(), *SERVICE_PASSWORDS.values()]:
        assert secret not in logs.stdout + logs.stderr
