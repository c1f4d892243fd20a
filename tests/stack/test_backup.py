"""`monasca-docker backup` while the stack serves, and `restore` into a fresh stack: everything comes back.

The stack is filled through its real clients (python-monascaclient, the log
API, Keystone), backed up while metrics keep coming, taken down with its
volumes, started empty, and restored; then every count is compared.
"""
import subprocess
import threading
import time

import pytest
import requests
from keystoneauth1 import session
from keystoneauth1.identity import v3

from monasca_docker import stack
from tests.support import CLI, ROOT

from .conftest import eventually, user_session
from .test_smoke import measurements, search_hits

LOGS = 10          # a search answers 10 hits unless asked for more
POINTS = 300


def cli(*args, timeout=1800):
    result = subprocess.run([CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    return result


@pytest.fixture
def disposable(started_here):
    if not started_here:
        pytest.skip("the backup test takes the stack down: it runs only on a stack the tests started")


def admin_session(keystone_url, values):
    return session.Session(auth=v3.Password(auth_url=keystone_url, username="admin", project_name="admin",
                                            password=values["KEYSTONE_ADMIN_PASSWORD"],
                                            user_domain_name="Default", project_domain_name="Default"))


def fill(monasca, values, keystone_url, unique):
    """Metrics, two alarms (ALARM and OK) with their history, a notification method, logs and a
    Keystone project with its user; the user's token, issued before the backup."""
    now = int(time.time() * 1000)
    monasca.metrics.create(jsonbody=[{"name": f"backup.points_{unique}", "dimensions": {"run": unique},
                                      "timestamp": now - i * 1000, "value": float(i)} for i in range(POINTS)])
    method = monasca.notifications.create(name=f"backup-{unique}", type="WEBHOOK", address="http://127.0.0.1:9/")
    level = f"backup.level_{unique}"
    for name, threshold in (("high", 5), ("low", 50)):
        monasca.alarm_definitions.create(name=f"backup-{name}-{unique}", expression=f"max({level}) > {threshold}",
                                         alarm_actions=[method["id"]])

    def both_alarms_decided():
        monasca.metrics.create(jsonbody={"name": level, "dimensions": {"run": unique},
                                         "timestamp": int(time.time() * 1000), "value": 10.0})
        return sorted(alarm["state"] for alarm in monasca.alarms.list(metric_name=level)) == ["ALARM", "OK"]
    eventually(both_alarms_decided, 180, "an alarm in ALARM and one in OK", interval=5)

    sess = user_session(keystone_url, values["MONASCA_USER_PASSWORD"])
    logs_url = stack.endpoints(values)["log_api"] + "/logs"
    body = {"dimensions": {"service": "backup"},
            "logs": [{"message": f"backup log {unique} {i}", "dimensions": {"run": unique}} for i in range(LOGS)]}
    answer = requests.post(logs_url, json=body, headers={"X-Auth-Token": sess.get_token()}, timeout=30)
    assert answer.status_code == 204, answer.text

    admin = admin_session(keystone_url, values)
    project = admin.post(f"{keystone_url}/projects", json={"project": {"name": f"backup-{unique}",
                                                                       "domain_id": "default"}}).json()["project"]
    user = admin.post(f"{keystone_url}/users", json={"user": {"name": f"backup-{unique}", "password": "b-pw-1",
                                                              "domain_id": "default"}}).json()["user"]
    role = admin.get(f"{keystone_url}/roles?name=monasca-user").json()["roles"][0]
    admin.put(f"{keystone_url}/projects/{project['id']}/users/{user['id']}/roles/{role['id']}")
    return user_session(keystone_url, "b-pw-1", user=f"backup-{unique}", project=f"backup-{unique}").get_token()


def counts(monasca, values, keystone_url, unique):
    """What a user sees of the stack's data."""
    sess = user_session(keystone_url, values["MONASCA_USER_PASSWORD"])
    search = sess.get_endpoint(service_type="logs-search", interface="public")
    alarms = monasca.alarms.list()
    admin = admin_session(keystone_url, values)
    return {
        "points": len(measurements(monasca, f"backup.points_{unique}", run=unique)),
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
    the test; counts what the API refused while `watching`."""

    def __init__(self, monasca, unique):
        super().__init__(daemon=True)
        self.monasca, self.unique = monasca, unique
        self.stop, self.watching, self.refused, self.posted = threading.Event(), False, [], 0

    def run(self):
        while not self.stop.is_set():
            try:
                self.monasca.metrics.create(jsonbody={"name": f"backup.level_{self.unique}",
                                                      "dimensions": {"run": self.unique},
                                                      "timestamp": int(time.time() * 1000), "value": 10.0})
                self.posted += self.watching
            except Exception as exc:     # noqa: BLE001 - the stack is down for a while: only `watching` counts
                if self.watching:
                    self.refused.append(repr(exc))
            time.sleep(1)


def test_a_backup_taken_while_serving_restores_everything_into_a_fresh_stack(
        disposable, running_stack, monasca, keystone_url, unique, tmp_path):
    feeder = Feeder(monasca, unique)
    feeder.start()
    try:
        token = fill(monasca, running_stack, keystone_url, unique)
        before = settled(lambda: counts(monasca, running_stack, keystone_url, unique),
                         lambda found: found["points"] == POINTS and len(found["logs"]) == LOGS and found["history"],
                         180, "every point, log and history row queryable")

        archive = tmp_path / "monasca.tar"
        feeder.watching = True          # metrics keep coming while the backup runs: every one is accepted
        made = cli("backup", str(archive))
        feeder.watching = False
        assert made.returncode == 0, made.stdout + made.stderr
        assert feeder.posted > 0 and feeder.refused == []
        for part in ("keystone-keys.tar", "mysql.sql.gz", "influxdb.tar", "opensearch.tar"):
            assert f"backup: {part} " in made.stdout, made.stdout
        assert "what the stack stored before" in made.stdout

        # Into the same, serving stack: refused before anything changes.
        again = cli("restore", str(archive))
        assert again.returncode == 1 and "already holds data" in again.stderr, again.stdout + again.stderr

        assert cli("down", "--volumes").returncode == 0
        fresh = cli("up")
        assert fresh.returncode == 0, fresh.stdout[-2000:] + fresh.stderr[-2000:]
        restored = cli("restore", str(archive))
        assert restored.returncode == 0, restored.stdout[-3000:] + restored.stderr[-3000:]

        after = settled(lambda: counts(monasca, running_stack, keystone_url, unique),
                        lambda found: len(found["logs"]) == LOGS, 120, "the restored logs searchable")
    finally:
        feeder.stop.set()
    # The history goes on after the restore; what was in it stays.
    assert set(before.pop("history")) <= set(after.pop("history"))
    assert after == before
    assert token_is_valid(keystone_url, token), "a token issued before the backup no longer validates"
