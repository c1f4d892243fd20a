"""A stack filled through its real clients (python-monascaclient, the log API,
Keystone), and what a user sees of it: for the tests that take a stack
through a change under its data (backup and restore, an upgrade) and
compare before and after."""
import os
import subprocess
import threading
import time

import pytest
import requests
from keystoneauth1 import session
from keystoneauth1.identity import v3

from monasca_docker import stack
from tests.support import CLI, ROOT

from .conftest import eventually, user_client, user_session
from .test_smoke import measurements, search_hits

LOGS = 10          # a search answers 10 hits unless asked for more
POINTS = 300


def cli(*args, env=None, timeout=1800):
    """monasca-docker in the checkout; `env` adds variables (MONASCA_COMPONENT_TAG)."""
    return subprocess.run([CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=None if env is None else {**os.environ, **env})


def admin_session(keystone_url, values):
    return session.Session(auth=v3.Password(auth_url=keystone_url, username="admin", project_name="admin",
                                            password=values["KEYSTONE_ADMIN_PASSWORD"],
                                            user_domain_name="Default", project_domain_name="Default"))


def fill(monasca, values, keystone_url, unique, webhook="http://127.0.0.1:9/"):
    """Metrics, two alarms (high: ALARM, low: OK) with their history, a webhook notification
    method for both, logs, and a Keystone project with its user; the user's token."""
    now = int(time.time() * 1000)
    monasca.metrics.create(jsonbody=[{"name": f"filled.points_{unique}", "dimensions": {"run": unique},
                                      "timestamp": now - i * 1000, "value": float(i)} for i in range(POINTS)])
    method = monasca.notifications.create(name=f"filled-{unique}", type="WEBHOOK", address=webhook)
    level = f"filled.level_{unique}"
    for name, threshold in (("high", 5), ("low", 50)):
        monasca.alarm_definitions.create(name=f"filled-{name}-{unique}", expression=f"max({level}) > {threshold}",
                                         alarm_actions=[method["id"]])

    def both_alarms_decided():
        monasca.metrics.create(jsonbody={"name": level, "dimensions": {"run": unique},
                                         "timestamp": int(time.time() * 1000), "value": 10.0})
        return sorted(alarm["state"] for alarm in monasca.alarms.list(metric_name=level)) == ["ALARM", "OK"]
    eventually(both_alarms_decided, 180, "an alarm in ALARM and one in OK", interval=5)

    sess = user_session(keystone_url, values["MONASCA_USER_PASSWORD"])
    logs_url = stack.endpoints(values)["log_api"] + "/logs"
    body = {"dimensions": {"service": "filled"},
            "logs": [{"message": f"filled log {unique} {i}", "dimensions": {"run": unique}} for i in range(LOGS)]}
    answer = requests.post(logs_url, json=body, headers={"X-Auth-Token": sess.get_token()}, timeout=30)
    assert answer.status_code == 204, answer.text

    admin = admin_session(keystone_url, values)
    project = admin.post(f"{keystone_url}/projects", json={"project": {"name": f"filled-{unique}",
                                                                       "domain_id": "default"}}).json()["project"]
    user = admin.post(f"{keystone_url}/users", json={"user": {"name": f"filled-{unique}", "password": "f-pw-1",
                                                              "domain_id": "default"}}).json()["user"]
    role = admin.get(f"{keystone_url}/roles?name=monasca-user").json()["roles"][0]
    admin.put(f"{keystone_url}/projects/{project['id']}/users/{user['id']}/roles/{role['id']}")
    return user_session(keystone_url, "f-pw-1", user=f"filled-{unique}", project=f"filled-{unique}").get_token()


def empty(monasca, unique):
    """Delete what fill made through the API that later tests could meet (definitions, alarms, methods)."""
    for definition in monasca.alarm_definitions.list(name=f"filled-high-{unique}") + \
            monasca.alarm_definitions.list(name=f"filled-low-{unique}"):
        monasca.alarm_definitions.delete(alarm_id=definition["id"])
    for method in monasca.notifications.list():
        if method["name"] == f"filled-{unique}":
            monasca.notifications.delete(notification_id=method["id"])


@pytest.fixture
def emptied(monasca, unique):
    """After the test, `empty`; a stack it left down has nothing to delete."""
    yield
    try:
        empty(monasca, unique)
    except Exception as exc:     # noqa: BLE001 - the test's own outcome matters more
        print(f"could not delete what the test made: {exc!r}")


def counts(monasca, values, keystone_url, unique):
    """What a user sees of the stack's data."""
    sess = user_session(keystone_url, values["MONASCA_USER_PASSWORD"])
    search = sess.get_endpoint(service_type="logs-search", interface="public")
    alarms = monasca.alarms.list()
    admin = admin_session(keystone_url, values)
    return {
        "points": len(measurements(monasca, f"filled.points_{unique}", run=unique)),
        "definitions": sorted((d["name"], d["expression"]) for d in monasca.alarm_definitions.list()),
        "alarms": sorted((a["alarm_definition"]["name"], a["state"]) for a in alarms),
        "history": sorted((h["alarm_id"], h["old_state"], h["new_state"], h["timestamp"])
                          for a in alarms for h in monasca.alarms.history(alarm_id=a["id"])),
        "methods": sorted((n["name"], n["type"], n["address"]) for n in monasca.notifications.list()),
        "logs": sorted(hit["_source"]["message"] for hit in search_hits(search, sess.get_token(), unique) or []),
        "users": sorted(u["name"] for u in admin.get(f"{keystone_url}/users").json()["users"]),
        "projects": sorted(p["name"] for p in admin.get(f"{keystone_url}/projects").json()["projects"]),
    }


def settled(probe, done, timeout, what):
    """probe()'s first result that is done(); a failure showing the last one otherwise."""
    deadline = time.monotonic() + timeout
    while not done(found := probe()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s; last seen: {found}")
        time.sleep(3)
    return found


def token_is_valid(keystone_url, token):
    answer = requests.get(f"{keystone_url}/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token},
                          timeout=30)
    return answer.status_code == 200


class Feeder(threading.Thread):
    """Posts the alarms' metric every second, as an agent would, so that their states hold through
    the test; keeps the timestamp (ms) of each post the API accepted and of each it refused."""

    def __init__(self, values, keystone_url, unique):
        super().__init__(daemon=True)
        # Its own client: one session shared with the test's thread can fail both of them
        # when a new Keystone (a restore, an upgrade) refuses the token they hold.
        self.monasca, self.unique = user_client(values, keystone_url), unique
        self.stop, self.accepted, self.refused = threading.Event(), [], []

    def run(self):
        while not self.stop.is_set():
            stamp = int(time.time() * 1000)
            try:
                self.monasca.metrics.create(jsonbody={"name": f"filled.level_{self.unique}",
                                                      "dimensions": {"run": self.unique},
                                                      "timestamp": stamp, "value": 10.0})
                self.accepted.append(stamp)
            except Exception:     # noqa: BLE001 - refused or unreachable: the test reads when
                self.refused.append(stamp)
            time.sleep(1)


def now_ms():
    return int(time.time() * 1000)


def between(stamps, start, end):
    return [stamp for stamp in stamps if start <= stamp <= end]
