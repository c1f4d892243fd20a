"""monasca/notification: start path, the configuration the engine reads, and poison against real Kafka and MariaDB."""
import json
import time
import uuid

import pytest

from tests.image import built_image
from tests.support import MYSQL_PASSWORDS, build, docker, start_mon_database, wait_healthy

IMAGE = "monasca/notification:latest"

# Render (the wait then fails fast: no Kafka here), then print what
# monasca-notification's own option parsing makes of the result.
PARSE = ("/start.sh >/dev/null 2>&1; python3 -c \"import json; from monasca_notification import config; "
         "config.parse_args(['--config-file', '/etc/monasca/monasca-notification.conf']); c = config.CONF; "
         "email = 'monasca_notification.plugins.email_notifier:EmailNotifier' in c.notification_types.enabled; "
         "print(json.dumps({'enabled': c.notification_types.enabled, 'passwd': c.mysql.passwd, "
         "'webhook_timeout': c.webhook_notifier.timeout, 'statsd': c.statsd.enable, "
         "'email': [c.email_notifier.server, c.email_notifier.port, c.email_notifier.user, "
         "c.email_notifier.password] if email else None}))\" 2>/dev/null")


notification_image = built_image("notification")


def parsed(image, *env):
    args = ["run", "--rm", "-e", "MONASCA_WAIT_TIMEOUT=1"]
    for pair in env:
        args += ["-e", pair]
    return json.loads(docker(*args, image, "sh", "-c", PARSE).stdout)


def test_missing_password_is_named(notification_image):
    result = docker("run", "--rm", notification_image, check=False)
    assert result.returncode != 0
    assert "MYSQL_PASSWORD is required" in result.stderr


def test_wait_names_kafka_topics_and_mysql_schema(notification_image):
    result = docker("run", "--rm", "-e", "MYSQL_PASSWORD=s3cr$t", "-e", "MONASCA_WAIT_TIMEOUT=3",
                    notification_image, check=False)
    assert result.returncode != 0
    assert ("kafka://kafka:9092/retry-notifications,alarm-state-transitions,"
            "alarm-notifications,60-seconds-notifications") in result.stderr
    assert "mysql://notification:${MYSQL_PASSWORD}@mysql:3306/mon?table=" in result.stderr
    assert "s3cr$t" not in result.stdout + result.stderr


def test_webhook_is_the_default_plugin(notification_image):
    conf = parsed(notification_image, "MYSQL_PASSWORD=a$b$$c", "NF_WEBHOOK_TIMEOUT=7", "STATSD_ENABLED=no")
    assert conf["enabled"] == ["monasca_notification.plugins.webhook_notifier:WebhookNotifier"]
    assert conf["webhook_timeout"] == 7
    assert conf["statsd"] is False
    assert conf["passwd"] == "a$b$$c"  # '$' is not oslo.config interpolation
    assert conf["email"] is None


def test_email_plugin_from_nf_variables(notification_image):
    conf = parsed(notification_image, "MYSQL_PASSWORD=x", "NF_PLUGINS=webhook, email",
                  "NF_EMAIL_SERVER=smtp.example.org", "NF_EMAIL_PORT=587",
                  "NF_EMAIL_USER=alerts", "NF_EMAIL_PASSWORD=p$ss")
    assert conf["enabled"][1] == "monasca_notification.plugins.email_notifier:EmailNotifier"
    assert conf["email"] == ["smtp.example.org", 587, "alerts", "p$ss"]


@pytest.mark.parametrize("env, message", [
    (["NF_PLUGINS=email"], "NF_EMAIL_SERVER is required with the email plugin"),
    (["NF_PLUGINS=email", "NF_EMAIL_SERVER=smtp", "NF_EMAIL_USER=u"],
     "NF_EMAIL_PASSWORD is required when NF_EMAIL_USER is set"),
    (["NF_PLUGINS=,"], "NF_PLUGINS is empty"),
])
def test_incomplete_plugin_settings_are_named(notification_image, env, message):
    args = ["run", "--rm", "-e", "MYSQL_PASSWORD=x"]
    for pair in env:
        args += ["-e", pair]
    result = docker(*args, notification_image, check=False)
    assert result.returncode != 0
    assert message in result.stderr


# A webhook receiver: prints the path and body of every POST.
HOOK = """
import http.server
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        print(self.path, body.decode(), flush=True)
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("", 8080), Hook).serve_forever()
"""

# One definition whose ALARM state calls two webhooks: the receiver, and an
# address that does not resolve (every send to it fails).
ACTIONS = """
INSERT IGNORE INTO notification_method_type (name) VALUES ('WEBHOOK');
INSERT INTO alarm_definition (id, tenant_id, name, expression, severity, actions_enabled, created_at, updated_at)
  VALUES ('def-1', 't', 'd', 'max(m) > 0', 'LOW', 1, NOW(), NOW());
INSERT INTO notification_method (id, tenant_id, name, type, address, created_at, updated_at)
  VALUES ('nm-hook', 't', 'hook', 'WEBHOOK', 'http://hook:8080/hook', NOW(), NOW()),
         ('nm-down', 't', 'down', 'WEBHOOK', 'http://nowhere.invalid:9/', NOW(), NOW());
INSERT INTO alarm_action (alarm_definition_id, alarm_state, action_id)
  VALUES ('def-1', 'ALARM', 'nm-hook'), ('def-1', 'ALARM', 'nm-down');
"""

# Raw messages onto a topic; prints the [partition, offset] of each.
PRODUCE = """
import json, sys
from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers="kafka:9092", acks="all")
futures = [producer.send(sys.argv[1], raw.encode()) for raw in json.load(sys.stdin)]
producer.flush()
print(json.dumps([[future.get().partition, future.get().offset] for future in futures]))
"""


def transition(alarm_id, **changes):
    alarm = {"tenantId": "t", "alarmId": alarm_id, "alarmDefinitionId": "def-1", "alarmName": "a",
             "alarmDescription": "", "metrics": [{"name": "m", "dimensions": {}}], "oldState": "OK",
             "newState": "ALARM", "actionsEnabled": True, "stateChangeReason": "test", "severity": "LOW",
             "link": None, "lifecycleState": None, "subAlarms": [], "timestamp": int(time.time() * 1000)}
    alarm.update(changes)
    return json.dumps({"alarm-transitioned": {key: value for key, value in alarm.items() if value != "absent"}})


@pytest.fixture(scope="module")
def engine_dependencies(notification_image):
    """Kafka with Monasca's topics, MariaDB with the mon schema and one alarm definition's actions, a webhook."""
    build("kafka", "mysql", "api")
    suffix = uuid.uuid4().hex[:8]
    network = f"notification-test-{suffix}"
    kafka, mysql, hook = (f"notification-test-{role}-{suffix}" for role in ("kafka", "mysql", "hook"))
    docker("network", "create", network)
    try:
        docker("run", "-d", "--name", kafka, "--network", network, "--network-alias", "kafka",
               "--health-interval", "2s", "-e", "KAFKA_HEAP_OPTS=-Xmx512M -Xms256M", "monasca/kafka:latest")
        docker("run", "-d", "--name", hook, "--network", network, "--network-alias", "hook",
               "--entrypoint", "python3", "monasca/base:latest", "-u", "-c", HOOK)
        start_mon_database(mysql, network)
        docker("exec", "-i", "-e", f"MYSQL_PWD={MYSQL_PASSWORDS['MYSQL_ROOT_PASSWORD']}", mysql,
               "mysql", "-uroot", "mon", input=ACTIONS)
        wait_healthy(kafka)
        docker("run", "--rm", "--network", network, "monasca/kafka:latest", "init-topics", timeout=120)
        yield {"network": network, "hook": hook}
    finally:
        docker("rm", "-f", "-v", kafka, mysql, hook, check=False)
        docker("network", "rm", network, check=False)


def test_poison_transitions_are_skipped_and_a_failing_send_stops_nothing(notification_image, engine_dependencies):
    deps, alarm = engine_dependencies, uuid.uuid4().hex
    name = f"notification-test-engine-{uuid.uuid4().hex[:8]}"
    # One engine process, so that one counter sees every skipped message.
    docker("run", "-d", "--name", name, "--network", deps["network"], "-e", "NOTIFICATION_PROCESSORS=1",
           "-e", f"MYSQL_PASSWORD={MYSQL_PASSWORDS['NOTIFICATION_PASSWORD']}", "-e", "STATSD_ENABLED=false",
           notification_image)
    try:
        started = docker("inspect", "-f", "{{.State.StartedAt}}", name).stdout
        poison = ["not json {",
                  json.dumps({"alarm-transitioned": {"alarmId": alarm}}),
                  transition(alarm, timestamp="soon"),  # upstream: TypeError in its age check, a crash
                  transition(alarm, metrics="absent")]  # upstream: KeyError building the notification
        messages = poison + [transition(alarm, alarmDefinitionId="no-such-definition"),  # no actions: nothing
                             transition(alarm, stateChangeReason="first"),  # the hook, and a failing send
                             transition(alarm, stateChangeReason="second")]
        positions = json.loads(docker("run", "--rm", "-i", "--network", deps["network"], "--entrypoint",
                                      "python3", "monasca/base:latest", "-c", PRODUCE, "alarm-state-transitions",
                                      input=json.dumps(messages), timeout=120).stdout)
        # Each message may land on another partition, and partitions are
        # read in no set order: wait for both hook calls and all four skips.
        deadline = time.monotonic() + 180
        while ((hits := docker("logs", deps["hook"]).stdout).count("/hook ") < 2
               or docker("logs", name).stderr.count("Skipped alarm-state-transitions[") < 4):
            state = docker("inspect", "-f", "{{.State.Running}} {{.State.StartedAt}}", name).stdout
            logs = docker("logs", name, check=False)
            assert state.split()[0] == "true" and time.monotonic() < deadline, \
                f"{state}\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}\nhook: {hits}"
            time.sleep(1)
        output = docker("logs", name).stderr
        assert docker("inspect", "-f", "{{.State.StartedAt}}", name).stdout == started, output
    finally:
        docker("rm", "-f", "-v", name, check=False)
    calls = [json.loads(line.split(" ", 1)[1]) for line in hits.splitlines() if line.startswith("/hook ")]
    assert sorted((call["alarm_id"], call["message"]) for call in calls) == \
        [(alarm, "first"), (alarm, "second")], hits  # once each
    skips = [line for line in output.splitlines() if "Skipped alarm-state-transitions[" in line]
    assert len(skips) == 4 and skips[-1].endswith("(4 skipped since start)"), output
    for (partition, offset), reason in zip(positions, ("not JSON", "field alarmDefinitionId missing",
                                                       "field timestamp is str", "field metrics missing")):
        assert any(f"[{partition}]@{offset}: invalid alarm transition: {reason}" in line for line in skips), output
