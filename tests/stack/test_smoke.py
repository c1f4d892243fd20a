"""End-to-end smoke test of the running stack, with the real clients."""
import json
import time

import pytest
import requests
from keystoneauth1 import exceptions as ks_exceptions

from monasca_docker import stack

from .conftest import docker, eventually, in_network, produce, user_session


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


def transition(definition, unique, tenant):
    """An alarm state transition as the threshold engine puts it on Kafka."""
    now = int(time.time() * 1000)
    metric = {"name": f"smoke.alarmed_{unique}", "dimensions": {"run": unique}}
    return {"alarm-transitioned": {
        "tenantId": tenant, "alarmId": f"alarm-{unique}", "alarmDefinitionId": definition["id"],
        "metrics": [metric], "alarmName": definition["name"], "alarmDescription": "",
        "oldState": "OK", "newState": "ALARM", "actionsEnabled": True,
        "stateChangeReason": "smoke test", "severity": "LOW", "link": None, "lifecycleState": None,
        "subAlarms": [], "timestamp": now}}


def test_alarm_transition_reaches_the_webhook_and_the_history(monasca, running_stack, keystone_url,
                                                              webhook_receiver, unique):
    method = monasca.notifications.create(name=f"smoke-{unique}", type="WEBHOOK",
                                          address=f"http://{webhook_receiver}:8080/")
    definition = monasca.alarm_definitions.create(
        name=f"smoke-{unique}", expression=f"smoke.alarmed_{unique} > 0", alarm_actions=[method["id"]])
    try:
        tenant = user_session(keystone_url, running_stack["MONASCA_USER_PASSWORD"]).get_project_id()
        produce("alarm-state-transitions", transition(definition, unique, tenant))

        def webhook_seen():
            lines = [line for line in docker("logs", webhook_receiver).stdout.splitlines()
                     if line.startswith("WEBHOOK ")]
            return [json.loads(line.removeprefix("WEBHOOK ")) for line in lines]
        posted = eventually(webhook_seen, 120, "the webhook notification")[0]
        assert posted["alarm_name"] == definition["name"]
        assert posted["state"] == "ALARM"

        history = eventually(lambda: monasca.alarms.history(alarm_id=f"alarm-{unique}"), 90,
                             "the alarm state history")
        assert history[0]["new_state"] == "ALARM"
    finally:
        monasca.alarm_definitions.delete(alarm_id=definition["id"])
        monasca.notifications.delete(notification_id=method["id"])
    assert all(d["id"] != definition["id"] for d in monasca.alarm_definitions.list())


CONSUMER = """\
from kafka import KafkaConsumer
c = KafkaConsumer('log', bootstrap_servers='kafka:9092', auto_offset_reset='earliest',
                  consumer_timeout_ms=60000, group_id=None)
for message in c:
    if b'MARKER' in message.value:
        print(message.value.decode()); break
"""


def test_a_posted_log_reaches_the_log_topic(running_stack, keystone_url, unique):
    sess = user_session(keystone_url, running_stack["MONASCA_USER_PASSWORD"])
    url = stack.endpoints(running_stack)["log_api"] + "/logs"
    body = {"dimensions": {"service": "smoke"}, "logs": [{"message": f"smoke log {unique}",
                                                          "dimensions": {"run": unique}}]}
    answer = requests.post(url, json=body, headers={"X-Auth-Token": sess.get_token()}, timeout=30)
    assert answer.status_code == 204, answer.text
    seen = in_network(CONSUMER.replace("MARKER", unique)).stdout
    assert f"smoke log {unique}" in seen
