"""Least privilege in the running stack: the everyday user is no admin, the
services are not the admin either, rendered secrets are the service user's
alone, and no container holds a capability or may gain one."""
import json
import time

import pytest

from monasca_docker import stack

from .conftest import docker, eventually, user_session

KEYSTONE_HOLDS_ADMIN = {"keystone"}     # the only service given the admin password
# Services whose rendered configuration holds a password (the APIs', the
# agent's, the engines' database and InfluxDB logins, Keystone's database URL).
# thresh and statsd render none: thresh reads its password from the
# environment, statsd's agent.yaml has no Keystone login.
RENDER_SECRETS = {"api", "log-api", "keystone", "notification", "persister",
                  "agent-forwarder", "agent-collector"}
READ_ONLY = {"mailsink", "keystone", "memcached", "thresh", "api", "log-api", "persister",     # read-only root filesystems
             "notification", "kafka", "influxdb", "mysql", "agent-forwarder", "agent-collector", "statsd",
             "opensearch", "log-persister", "log-search"}


def containers():
    """Every container of the stack, services and jobs: {service: inspect record}."""
    ids = docker("ps", "--all", "--quiet", "--filter", f"label=com.docker.compose.project={stack.PROJECT}").stdout.split()
    records = json.loads(docker("inspect", *ids).stdout)
    return {r["Config"]["Labels"]["com.docker.compose.service"]: r for r in records}


@pytest.fixture(scope="module")
def sessions(running_stack, keystone_url):
    return {"mini-mon": user_session(keystone_url, running_stack["MONASCA_USER_PASSWORD"]),
            "admin": user_session(keystone_url, running_stack["KEYSTONE_ADMIN_PASSWORD"], "admin", "admin")}


def test_the_everyday_user_may_not_list_or_create_keystone_users(sessions, keystone_url, unique):
    mini_mon, admin = sessions["mini-mon"], sessions["admin"]
    assert mini_mon.get(f"{keystone_url}/users", raise_exc=False).status_code == 403
    new = {"user": {"name": f"intruder-{unique}", "password": unique, "domain_id": "default"}}
    assert mini_mon.post(f"{keystone_url}/users", json=new, raise_exc=False).status_code == 403
    # the admin account keeps Keystone's admin rights
    assert admin.get(f"{keystone_url}/users", raise_exc=False).status_code == 200
    created = admin.post(f"{keystone_url}/users", json=new, raise_exc=False)
    assert created.status_code == 201, created.text
    assert admin.delete(f"{keystone_url}/users/{created.json()['user']['id']}", raise_exc=False).status_code == 204


def test_the_everyday_user_holds_monasca_user_alone(sessions):
    assert sessions["mini-mon"].auth.get_access(sessions["mini-mon"]).role_names == ["monasca-user"]


def test_tenant_id_reads_another_project_only_for_the_admin(running_stack, sessions, unique):
    """monasca-api honours ?tenant_id= for its delegate role (admin) alone. For
    anyone else it answers for the caller's own project: never the other's data."""
    api = stack.endpoints(running_stack)["api"]
    mini_mon, admin = sessions["mini-mon"], sessions["admin"]
    name = f"privilege.owner_{unique}"
    for owner, session in sessions.items():     # the same metric name in each project
        session.post(f"{api}/metrics", json={"name": name, "dimensions": {"owner": owner},
                                             "timestamp": time.time() * 1000, "value": 1.0})

    def owners(session, **params):
        answer = session.get(f"{api}/metrics", params={"name": name, **params}, raise_exc=False)
        assert answer.status_code in (200, 403), answer.text
        found = answer.json()["elements"] if answer.status_code == 200 else []
        return sorted(m["dimensions"]["owner"] for m in found)

    eventually(lambda: owners(admin) == ["admin"] and owners(mini_mon) == ["mini-mon"], 90,
               "each project's metric becoming queryable")
    assert owners(mini_mon, tenant_id=admin.get_project_id()) == ["mini-mon"]      # its own, not the admin's
    assert owners(admin, tenant_id=mini_mon.get_project_id()) == ["mini-mon"]      # the delegate's read


def test_only_keystone_holds_the_admin_password(running_stack):
    secret = running_stack["KEYSTONE_ADMIN_PASSWORD"]
    holders = {service for service, record in containers().items()
               if any(secret in variable for variable in record["Config"]["Env"] or [])}
    assert holders == KEYSTONE_HOLDS_ADMIN


def test_rendered_files_with_secrets_are_the_service_users_alone(running_stack):
    """Every file under /etc/monasca holding one of monasca.env's passwords is 0600 and the service user's
    (followed through the links of the read-only images into /run/monasca)."""
    secrets = "\n".join(value for key, value in running_stack.items() if key.endswith("_PASSWORD") and value)
    found = {}
    for service, record in containers().items():
        if not record["State"]["Running"]:
            continue                    # a finished job has nothing to read
        # The passwords go in on stdin, as grep's patterns: not on a command line.
        result = docker("exec", "-i", record["Id"], "sh", "-c",
                        "grep -RlF --exclude-dir=templates -f - /etc/monasca | xargs -r stat -L -c '%a %U %n'",
                        input=secrets)
        found[service] = [line.split(" ", 2) for line in result.stdout.splitlines()]
        user = record["Config"]["User"] or "root"
        wrong = [f for f in found[service] if f[0] != "600" or f[1] not in (user, user.split(":")[0])]
        assert not wrong, (service, user, wrong)
    assert {service for service, files in found.items() if files} >= RENDER_SECRETS, found


def test_no_container_holds_a_capability_or_may_gain_one():
    for service, record in containers().items():
        host = record["HostConfig"]
        assert host["CapDrop"] == ["ALL"] and not host["CapAdd"], service
        assert "no-new-privileges:true" in (host["SecurityOpt"] or []), service
        assert host["ReadonlyRootfs"] == (service in READ_ONLY), service
        assert record["Config"]["User"] not in ("", "0", "root"), service
