"""End-to-end smoke test of the running stack, with the real clients."""
import json
import subprocess
import time

import pytest
import requests
from keystoneauth1 import exceptions as ks_exceptions

from monasca_docker import stack
from tests.support import CLI, ROOT, as_printed

from .conftest import NETWORK, docker, eventually, in_network, user_session


def test_token_for_the_monasca_user_and_401_for_a_wrong_password(running_stack, keystone_url):
    assert user_session(keystone_url, running_stack["MONASCA_USER_PASSWORD"]).get_token()
    with pytest.raises(ks_exceptions.Unauthorized):
        user_session(keystone_url, "not-the-password").get_token()


def measurements(monasca, name, **dimensions):
    found = monasca.metrics.list_measurements(name=name, dimensions=dimensions or None,
                                              start_time="2000-01-01T00:00:00Z", group_by="*")
    return [point for series in found for point in series["measurements"]]


def test_posted_metrics_come_back_and_an_invalid_one_is_refused(monasca, unique):
    name = f"smoke.posted_{unique}"
    now = int(time.time() * 1000)
    monasca.metrics.create(jsonbody=[{"name": name, "dimensions": {"run": unique},
                                      "timestamp": now - i * 1000, "value": float(i)} for i in range(3)])
    # The persister may write the three in different batches: wait for all of them.
    points = eventually(lambda: (found := measurements(monasca, name, run=unique)) and len(found) == 3 and found,
                        90, "the three posted measurements becoming queryable")
    assert sorted(point[1] for point in points) == [0.0, 1.0, 2.0]

    # python-monascaclient talks through keystoneauth, whose errors carry the status.
    with pytest.raises(ks_exceptions.HttpError) as refused:
        monasca.metrics.create(jsonbody={"name": "", "timestamp": now, "value": "not a number"})
    assert 400 <= refused.value.http_status < 500
    # The stack keeps working after bad input.
    monasca.metrics.create(jsonbody={"name": name, "dimensions": {"run": unique}, "timestamp": now + 1000,
                                     "value": 3.0})
    eventually(lambda: len(measurements(monasca, name, run=unique)) == 4, 90, "a metric after a refused one")


def test_agent_metrics_arrive_through_the_forwarder(monasca):
    hostname = docker("inspect", "--format", "{{.Config.Hostname}}", "monasca-agent-collector-1").stdout.strip()
    points = eventually(lambda: measurements(monasca, "cpu.idle_perc", hostname=hostname), 180,
                        "cpu.idle_perc from the agent collector")
    assert all(0 <= point[1] <= 100 for point in points)


RECEIVER = """\
import http.server, sys
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        print('WEBHOOK ' + body.decode(), flush=True)
        self.send_response(200); self.end_headers()
http.server.HTTPServer(('0.0.0.0', 8080), Hook).serve_forever()
"""


@pytest.fixture
def webhook_receiver(running_stack, unique):
    name = f"smoke-webhook-{unique}"
    in_network(RECEIVER, name=name, detach=True)
    yield name
    docker("rm", "--force", name, check=False)


def webhook_posts(receiver):
    """The JSON bodies the webhook receiver has been sent, oldest first."""
    lines = [line for line in docker("logs", receiver).stdout.splitlines() if line.startswith("WEBHOOK ")]
    return [json.loads(line.removeprefix("WEBHOOK ")) for line in lines]


def alarm_list_cli(running_stack, definition_id):
    """`monasca alarm-list --json` of the definition's alarms, with the client's own CLI
    logged in as `up` prints (the API found in Keystone's catalog)."""
    result = as_printed(ROOT, stack.ready_message(ROOT, running_stack),
                        "monasca", "alarm-list", "--json", "--alarm-definition-id", definition_id)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def alarms_once_posted(monasca, definition, metric):
    """The definition's alarms, once a metric posted now (timestamped each time) has made one.
    The engine learns of a new definition from the events topic, the metric comes on another:
    one posted before the definition reached the engine matches nothing, so post again."""
    def alarms():
        monasca.metrics.create(jsonbody={**metric, "timestamp": int(time.time() * 1000)})
        return monasca.alarms.list(alarm_definition_id=definition["id"])
    return eventually(alarms, 90, "an alarm of the definition", interval=5)


def test_a_crossing_metric_raises_an_alarm_that_reaches_the_webhook(monasca, running_stack, webhook_receiver,
                                                                    unique):
    """Metric -> threshold engine -> alarm in MariaDB and on alarm-state-transitions -> notification
    engine -> webhook, and the alarm through the API, its CLI and its state history."""
    name = f"smoke.alarmed_{unique}"
    method = monasca.notifications.create(name=f"smoke-{unique}", type="WEBHOOK",
                                          address=f"http://{webhook_receiver}:8080/")
    definition = monasca.alarm_definitions.create(
        name=f"smoke-{unique}", expression=f"max({name}) > 0", alarm_actions=[method["id"]])
    try:
        alarms = alarms_once_posted(monasca, definition, {"name": name, "dimensions": {"run": unique}, "value": 1.0})
        assert len(alarms) == 1
        alarm_id = alarms[0]["id"]

        posted = eventually(lambda: [body for body in webhook_posts(webhook_receiver)
                                     if body.get("state") == "ALARM"], 90, "the webhook notification")[0]
        assert posted["alarm_id"] == alarm_id
        assert posted["alarm_definition_id"] == definition["id"]
        assert posted["alarm_name"] == definition["name"]
        assert posted["state"] == "ALARM"
        assert [(m["name"], m["dimensions"]) for m in posted["metrics"]] == [(name, {"run": unique})]

        listed = alarm_list_cli(running_stack, definition["id"])
        assert [(alarm["id"], alarm["state"]) for alarm in listed] == [(alarm_id, "ALARM")]
        assert [(m["name"], m["dimensions"]) for m in listed[0]["metrics"]] == [(name, {"run": unique})]

        history = eventually(lambda: monasca.alarms.history(alarm_id=alarm_id), 90, "the alarm state history")
        assert history[0]["new_state"] == "ALARM"
    finally:
        monasca.alarm_definitions.delete(alarm_id=definition["id"])
        monasca.notifications.delete(notification_id=method["id"])
    assert all(d["id"] != definition["id"] for d in monasca.alarm_definitions.list())
    # Deleting the definition deletes its alarms.
    assert eventually(lambda: monasca.alarms.list(alarm_definition_id=definition["id"]) == [], 30,
                      "the alarms of the deleted definition going") is True


def test_a_fleet_alarmed_at_once_keeps_every_transition_in_its_history(monasca, unique):
    """One POST crosses a match_by definition on 50 hosts, so the engine moves 50 alarms within
    milliseconds; monasca-persister keys the state history by project and millisecond, and
    each alarm's transition must still be there (#21: 10 published, 7 stored)."""
    name = f"smoke.fleet_{unique}"
    hosts = [f"host-{number}" for number in range(50)]
    definition = monasca.alarm_definitions.create(name=f"fleet-{unique}", expression=f"max({name}) > 0",
                                                  match_by=["hostname"])
    try:
        def every_host_alarmed():
            now = int(time.time() * 1000)
            monasca.metrics.create(jsonbody=[{"name": name, "dimensions": {"hostname": host}, "timestamp": now,
                                              "value": 1.0} for host in hosts])
            alarms = monasca.alarms.list(alarm_definition_id=definition["id"])
            return len(alarms) == len(hosts) and all(alarm["state"] == "ALARM" for alarm in alarms) and alarms
        alarms = eventually(every_host_alarmed, 90, "an alarm in ALARM for each host", interval=5)

        def histories():
            found = {alarm["id"]: [entry["new_state"] for entry in monasca.alarms.history(alarm_id=alarm["id"])]
                     for alarm in alarms}
            return all(found.values()) and found
        found = eventually(histories, 90, "a state history for each of the 50 alarms")
        assert all(states == ["ALARM"] for states in found.values()), found
    finally:
        monasca.alarm_definitions.delete(alarm_id=definition["id"])


def test_a_flapping_alarm_keeps_every_transition_in_order(monasca, unique):
    """last() follows each value: the alarm flips six times, and its history has the seven
    transitions (its creation's OK first) in order. Each value waits for the state before it:
    the API spreads one POST's metrics over partitions, and last() drops a value older than
    the one it has."""
    name = f"smoke.flapping_{unique}"
    definition = monasca.alarm_definitions.create(name=f"flapping-{unique}", expression=f"last({name}) > 0")
    try:
        def post(value):
            monasca.metrics.create(jsonbody={"name": name, "timestamp": int(time.time() * 1000), "value": value})

        alarm_id = alarms_once_posted(monasca, definition, {"name": name, "value": 0.0})[0]["id"]

        def state_is(state):
            eventually(lambda: monasca.alarms.get(alarm_id=alarm_id)["state"] == state, 60, f"the alarm {state}")

        state_is("OK")
        for value, state in [(1.0, "ALARM"), (0.0, "OK")] * 3:
            post(value)
            state_is(state)
        expected = ["OK", "ALARM", "OK", "ALARM", "OK", "ALARM", "OK"]

        def history():      # in the API's order, oldest first, as `monasca alarm-history` shows it
            states = [entry["new_state"] for entry in monasca.alarms.history(alarm_id=alarm_id)]
            return len(states) >= len(expected) and states
        assert eventually(history, 90, "seven transitions in the history") == expected
    finally:
        monasca.alarm_definitions.delete(alarm_id=definition["id"])


CONSUMER = """\
from kafka import KafkaConsumer
c = KafkaConsumer('log', bootstrap_servers='kafka:9092', auto_offset_reset='earliest',
                  consumer_timeout_ms=60000, group_id=None)
for message in c:
    if b'MARKER' in message.value:
        print(message.value.decode()); break
"""


def msearch(url, token, text):
    """The tempest plugin's _msearch for text: its one response, or the HTTP status when refused."""
    body = json.dumps({"index": "*"}) + "\n" + json.dumps({"query": {"match": {"message": text}}}) + "\n"
    answer = requests.post(f"{url.rstrip('/')}/elasticsearch/_msearch", data=body, timeout=30,
                           headers={"Content-Type": "application/json", **({"X-Auth-Token": token} if token else {})})
    return answer.json()["responses"][0] if answer.status_code == 200 else answer.status_code


def search_hits(url, token, text):
    """The hits once there are any. While the day's new index starts its shard, OpenSearch answers
    the search with an error item (status 503) instead of hits: printed, and waited out like an
    empty answer."""
    response = msearch(url, token, text)
    if isinstance(response, dict) and "error" in response:
        print("search not served yet:", json.dumps(response)[:300])
        return None
    return response["hits"]["hits"] if isinstance(response, dict) else response


def test_a_posted_log_reaches_the_log_topic_and_a_search_hit(running_stack, keystone_url, unique):
    sess = user_session(keystone_url, running_stack["MONASCA_USER_PASSWORD"])
    url = stack.endpoints(running_stack)["log_api"] + "/logs"
    body = {"dimensions": {"service": "smoke"}, "logs": [{"message": f"smoke log {unique} WARN",
                                                          "dimensions": {"run": unique}}]}
    answer = requests.post(url, json=body, headers={"X-Auth-Token": sess.get_token()}, timeout=30)
    assert answer.status_code == 204, answer.text
    seen = in_network(CONSUMER.replace("MARKER", unique)).stdout
    assert f"smoke log {unique}" in seen
    # Then stored by the log persister and found through the logs search of Keystone's catalog.
    search = sess.get_endpoint(service_type="logs-search", interface="public")
    hits = eventually(lambda: search_hits(search, sess.get_token(), unique), 90, "the log as a search hit")
    assert len(hits) == 1, hits
    found = hits[0]["_source"]
    assert (found["tenant"], found["service"], found["run"], found["log_level"]) == \
        (sess.get_project_id(), "smoke", unique, "Warning")
    assert msearch(search, None, unique) == 401


SMOKE_CHECKS = ("ok: a token for mini-mon", "posted and queried back", "raised an alarm in state ALARM",
                "found through http://log-search:5610", "ok: 401 from the logs search without a token")


def test_monasca_docker_smoke_checks_the_stack_as_a_user(running_stack):
    """`monasca-docker smoke`: monasca/client's monasca-smoke on the stack's network (the chart's
    helm test runs the same program)."""
    result = subprocess.run([CLI, "smoke"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for check in SMOKE_CHECKS:
        assert check in result.stdout, result.stdout


def test_the_smoke_check_fails_clearly_on_a_wrong_password(running_stack):
    result = docker("run", "--rm", "--network", NETWORK, "--env", "OS_PASSWORD=not-it", "--env",
                    "OS_INTERFACE=internal", "monasca/client", "monasca-smoke", check=False)
    assert result.returncode == 1
    assert "FAIL: Keystone refused mini-mon with OS_PASSWORD" in result.stderr, result.stderr
