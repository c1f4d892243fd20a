"""monasca/thresh: start path, configuration, and the engine against real Kafka and MariaDB
(with the Monasca schema from the api image's migrations and the thresh user's per-table grants)."""
import json
import re
import time
import tomllib
import uuid

import pymysql
import pytest
import yaml

from tests.image import built_image
from tests.support import MYSQL_PASSWORDS, ROOT, build, docker, start_mon_database, wait_healthy

IMAGE = "monasca/thresh:latest"
ENGINE_VERSION = tomllib.loads((ROOT / "images/thresh/engine/pyproject.toml").read_text())["project"]["version"]
TABLES = ("alarm_definition,sub_alarm_definition,sub_alarm_definition_dimension,alarm,sub_alarm,"
          "alarm_metric,metric_definition,metric_definition_dimensions,metric_dimension")


thresh_image = built_image("thresh")


def test_version_names_the_engine_and_the_parser(thresh_image):
    record = json.loads(docker("run", "--rm", thresh_image, "version", "--json").stdout)
    assert record["image"] == "monasca/thresh"
    assert record["monasca-thresh"] == ENGINE_VERSION
    assert record["monasca-api"] == "11.0.0"
    human = docker("run", "--rm", thresh_image, "version").stdout
    assert re.search(rf"^monasca-thresh:\s+{re.escape(ENGINE_VERSION)}$", human, re.MULTILINE)
    assert re.search(r"^monasca-api:\s+11\.0\.0$", human, re.MULTILINE)


def test_runs_as_monasca_without_compilers(thresh_image):
    result = docker("run", "--rm", "--entrypoint", "sh", thresh_image, "-c",
                    "id -un; id -u; command -v gcc cc || echo no-compiler")
    assert result.stdout.split() == ["monasca", "42400", "no-compiler"]


def test_missing_password_is_named(thresh_image):
    result = docker("run", "--rm", thresh_image, check=False)
    assert result.returncode != 0
    assert "MYSQL_DB_PASSWORD is required" in result.stderr


def test_wait_names_kafka_topics_and_mysql_tables(thresh_image):
    result = docker("run", "--rm", "-e", "MYSQL_DB_PASSWORD=s3cr$t", "-e", "MONASCA_WAIT_TIMEOUT=3",
                    thresh_image, check=False)
    assert result.returncode != 0
    assert "kafka://kafka:9092/metrics,events,alarm-state-transitions" in result.stderr
    assert f"mysql://thresh:${{MYSQL_DB_PASSWORD}}@mysql:3306/mon?table={TABLES}" in result.stderr
    assert "s3cr$t" not in result.stdout + result.stderr


# Render (the wait then fails fast: no Kafka here), then show the file and
# what the engine's own configuration loader makes of it.
RENDER = ("/start.sh >/dev/null 2>&1; cat /etc/monasca/thresh.yml; echo ---; "
          "python3 -c \"import json; from monasca_thresh.service import load_config; "
          "c = load_config('/etc/monasca/thresh.yml'); c['database'].pop('password'); print(json.dumps(c))\"; "
          "echo ---; grep -rl -F \"$MYSQL_DB_PASSWORD\" /etc/monasca || echo not-in-files")


def test_configuration_from_upstream_names_without_the_password(thresh_image):
    env = {"MYSQL_DB_PASSWORD": "pw-in-env-only", "KAFKA_URI": "k1:9092,k2:9092", "MYSQL_DB_HOST": "db",
           "MYSQL_DB_PORT": "3307", "MYSQL_DB_DATABASE": "mon2", "MYSQL_DB_USERNAME": "th",
           "USE_SSL_ENABLED": "yes", "THRESH_TICK": "5", "LOG_LEVEL": "DEBUG", "MONASCA_WAIT_TIMEOUT": "1",
           # upstream's Storm and ZooKeeper settings: accepted, ignored
           "NO_STORM_CLUSTER": "true", "ZOOKEEPER_SERVERS": "zookeeper", "ZOOKEEPER_PORT": "2181",
           "METRIC_SPOUT_THREADS": "4", "THRESHOLDING_BOLT_TASKS": "2", "STORM_WAIT_RETRIES": "x"}
    args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    rendered, loaded, files = docker("run", "--rm", *args, thresh_image, "sh", "-c", RENDER).stdout.split("---\n")
    assert "pw-in-env-only" not in rendered and files.strip() == "not-in-files"
    config = json.loads(loaded)
    assert yaml.safe_load(rendered)["database"] == {"host": "db", "port": 3307, "name": "mon2", "user": "th",
                                                    "ssl": True}
    assert config["kafka"]["uri"] == "k1:9092,k2:9092"
    assert (config["kafka"]["metrics_group"], config["kafka"]["events_group"]) == ("thresh-metric", "thresh-event")
    assert (config["alarm_delay"], config["tick"], config["health_port"]) == (30, 5, 8092)
    assert config["log_level"] == "DEBUG"


def test_engine_refuses_a_bad_configuration(thresh_image):
    result = docker("run", "--rm", "-e", "MYSQL_DB_PASSWORD=x", thresh_image,
                    "monasca-thresh", "--config", "/etc/monasca/missing.yml", check=False)
    assert result.returncode != 0
    assert "missing.yml" in result.stdout + result.stderr


# --- against real Kafka and MariaDB ---------------------------------------------------------

@pytest.fixture(scope="module")
def infrastructure(thresh_image):
    """Kafka with Monasca's topics and MariaDB with the mon schema, on a network of their own."""
    build("kafka", "mysql", "api")
    suffix = uuid.uuid4().hex[:8]
    network = f"thresh-test-{suffix}"
    kafka, mysql = f"thresh-test-kafka-{suffix}", f"thresh-test-mysql-{suffix}"
    docker("network", "create", network)
    try:
        docker("run", "-d", "--name", kafka, "--network", network, "--network-alias", "kafka",
               "--health-interval", "2s", "-e", "KAFKA_HEAP_OPTS=-Xmx512M -Xms256M", "monasca/kafka:latest")
        wait_healthy(kafka, timeout=120)
        docker("run", "--rm", "--network", network, "monasca/kafka:latest", "init-topics", timeout=120)
        port = start_mon_database(mysql, network)
        yield {"network": network, "kafka": kafka, "mysql": mysql, "mysql_port": port}
    finally:
        docker("rm", "-f", "-v", kafka, mysql, check=False)
        docker("network", "rm", network, check=False)


def root_sql(infrastructure, statement, args=()):
    with pymysql.connect(host="127.0.0.1", port=infrastructure["mysql_port"], user="root",
                         password=MYSQL_PASSWORDS["MYSQL_ROOT_PASSWORD"], database="mon", autocommit=True) as db:
        with db.cursor() as cursor:
            cursor.execute(statement, args)
            return cursor.fetchall()


@pytest.fixture(scope="module")
def definition(infrastructure):
    """`max(<metric>) > 0`, in MySQL before the engine starts (it loads definitions at start)."""
    unique = uuid.uuid4().hex[:10]
    ids = {"definition": str(uuid.uuid4()), "sub": str(uuid.uuid4()), "metric": f"thresh.test_{unique}",
           "tenant": f"tenant-{unique}"}
    root_sql(infrastructure,
             "INSERT INTO alarm_definition (id, tenant_id, name, description, expression, severity, match_by, "
             "actions_enabled, created_at, updated_at) VALUES (%s, %s, %s, '', %s, 'LOW', '', 1, NOW(), NOW())",
             (ids["definition"], ids["tenant"], f"test-{unique}", f"max({ids['metric']}) > 0"))
    root_sql(infrastructure,
             "INSERT INTO sub_alarm_definition (id, alarm_definition_id, `function`, metric_name, operator, "
             "threshold, period, periods, is_deterministic, created_at, updated_at) "
             "VALUES (%s, %s, 'MAX', %s, 'GT', 0, 60, 1, 0, NOW(), NOW())",
             (ids["sub"], ids["definition"], ids["metric"]))
    return ids


@pytest.fixture(scope="module")
def thresh(thresh_image, infrastructure, definition):
    name = f"thresh-test-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, "--network", infrastructure["network"], "--health-interval", "2s",
           "-e", f"MYSQL_DB_PASSWORD={MYSQL_PASSWORDS['THRESH_PASSWORD']}", "-e", "LOG_LEVEL=INFO", thresh_image)
    try:
        wait_healthy(name, timeout=180)
        yield name
    finally:
        docker("rm", "-f", "-v", name, check=False)


def test_healthy_when_consuming(thresh):
    report = docker("exec", thresh, "python3", "-c",
                    "import urllib.request; print(urllib.request.urlopen("
                    "'http://127.0.0.1:8092/healthcheck', timeout=5).read().decode())").stdout
    assert json.loads(report)["consuming"] is True
    assert docker("exec", thresh, "monasca-health").returncode == 0
    # start.sh exec'ed the engine: it is tini's child, as monasca.
    children = docker("exec", thresh, "cat", "/proc/1/task/1/children").stdout.split()
    assert len(children) == 1
    status = docker("exec", thresh, "cat", f"/proc/{children[0]}/status").stdout
    cmdline = docker("exec", thresh, "cat", f"/proc/{children[0]}/cmdline").stdout
    assert "monasca-thresh" in cmdline
    assert re.search(r"^Uid:\s+42400\s", status, re.MULTILINE)


# Put the metric on `metrics` as the API does, then read `alarm-state-transitions`
# until the definition's transition comes (the metric is sent again now and then).
ROUND_TRIP = """
import json, sys, time
from kafka import KafkaConsumer, KafkaProducer
name, tenant, definition = sys.argv[1:4]
producer = KafkaProducer(bootstrap_servers="kafka:9092")
consumer = KafkaConsumer("alarm-state-transitions", bootstrap_servers="kafka:9092",
                         auto_offset_reset="earliest", group_id=None, consumer_timeout_ms=2000)
deadline, sent = time.time() + 90, 0
while time.time() < deadline:
    if time.time() - sent > 10:
        now = time.time()
        envelope = {"metric": {"name": name, "dimensions": {"hostname": "h1"}, "timestamp": int(now * 1000),
                               "value": 1.0, "value_meta": {}},
                    "meta": {"tenantId": tenant, "region": "useast"}, "creation_time": int(now)}
        producer.send("metrics", json.dumps(envelope).encode()); producer.flush(); sent = now
    for message in consumer:
        event = json.loads(message.value).get("alarm-transitioned", {})
        if event.get("alarmDefinitionId") == definition:
            print(json.dumps(event)); sys.exit(0)
sys.exit("no transition within 90s")
"""


def test_a_crossing_metric_makes_an_alarm_and_its_transition(thresh, infrastructure, definition):
    result = docker("run", "--rm", "--network", infrastructure["network"], "--entrypoint", "python3",
                    "monasca/base:latest", "-c", ROUND_TRIP, definition["metric"], definition["tenant"],
                    definition["definition"], check=False, timeout=150)
    assert result.returncode == 0, result.stderr + docker("logs", thresh).stderr[-3000:]
    event = json.loads(result.stdout)
    assert (event["oldState"], event["newState"]) == ("UNDETERMINED", "ALARM")
    assert event["tenantId"] == definition["tenant"]
    assert [(m["name"], m["dimensions"]) for m in event["metrics"]] == [(definition["metric"], {"hostname": "h1"})]
    # The alarm and its rows, written by the thresh user with its per-table grants.
    rows = root_sql(infrastructure, "SELECT id, state FROM alarm WHERE alarm_definition_id = %s",
                    (definition["definition"],))
    assert rows == ((event["alarmId"], "ALARM"),)
    assert root_sql(infrastructure, "SELECT COUNT(*) FROM sub_alarm WHERE alarm_id = %s", (event["alarmId"],)) \
        == ((1,),)
    assert root_sql(infrastructure, "SELECT COUNT(*) FROM alarm_metric WHERE alarm_id = %s", (event["alarmId"],)) \
        == ((1,),)


def health(thresh):
    report = docker("exec", thresh, "python3", "-c",
                    "import urllib.request; print(urllib.request.urlopen("
                    "'http://127.0.0.1:8092/healthcheck', timeout=5).read().decode())").stdout
    return json.loads(report)


# Raw messages (argv: topic, then one message per argument) onto a topic.
PRODUCE = """
import sys
from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers="kafka:9092")
for raw in sys.argv[2:]:
    producer.send(sys.argv[1], raw.encode())
producer.flush()
"""


def produce(infrastructure, topic, *raw):
    docker("run", "--rm", "--network", infrastructure["network"], "--entrypoint", "python3",
           "monasca/base:latest", "-c", PRODUCE, topic, *raw, timeout=120)


def good_metric(definition, value=1.0):
    now = time.time()
    return json.dumps({"metric": {"name": definition["metric"], "dimensions": {"hostname": "h1"},
                                  "timestamp": int(now * 1000), "value": value},
                       "meta": {"tenantId": definition["tenant"]}, "creation_time": int(now)})


def test_poison_messages_are_counted_logged_with_their_offset_and_skipped(thresh, infrastructure, definition):
    before = health(thresh)
    bad_metrics = ["not json", "[1, 2]", json.dumps({"metric": {"name": "x"}}),
                   json.dumps({"metric": {"name": "x", "dimensions": {}, "timestamp": 1e20, "value": 1}}),
                   json.dumps({"metric": {"name": "x", "dimensions": {"a": 1}, "timestamp": 1, "value": 1}})]
    bad_events = ["{", json.dumps({"alarm-created": {"alarmId": "a"}}),
                  json.dumps({"alarm-deleted": {}}), json.dumps({"alarm-deleted": {}, "alarm-updated": {}})]
    produce(infrastructure, "metrics", *bad_metrics)
    produce(infrastructure, "events", *bad_events)
    produce(infrastructure, "metrics", good_metric(definition))
    deadline = time.monotonic() + 60
    while health(thresh)["metrics"] < before["metrics"] + len(bad_metrics) + 1:
        assert time.monotonic() < deadline, health(thresh)
        time.sleep(1)
    after = health(thresh)
    assert after["bad_messages"] - before["bad_messages"] == len(bad_metrics) + len(bad_events)
    assert after["consuming"] is True
    assert docker("inspect", "-f", "{{.RestartCount}} {{.State.Running}}", thresh).stdout.split() == ["0", "true"]
    logged = docker("logs", thresh).stderr
    assert len(re.findall(r"skipped message metrics\[\d+\]@\d+: ", logged)) >= len(bad_metrics)
    assert "unknown event 'alarm-created'" in logged


def transitions_of(infrastructure, definition_id):
    """Every alarm-transitioned of the definition on the topic, oldest first."""
    script = ("import json, sys\nfrom kafka import KafkaConsumer\n"
              "c = KafkaConsumer('alarm-state-transitions', bootstrap_servers='kafka:9092', "
              "auto_offset_reset='earliest', group_id=None, consumer_timeout_ms=3000)\n"
              "for m in c:\n    e = json.loads(m.value)['alarm-transitioned']\n"
              "    if e['alarmDefinitionId'] == sys.argv[1]: print(json.dumps(e))\n")
    out = docker("run", "--rm", "--network", infrastructure["network"], "--entrypoint", "python3",
                 "monasca/base:latest", "-c", script, definition_id, timeout=120).stdout
    return sorted((json.loads(line) for line in out.splitlines()), key=lambda e: e["timestamp"])


def test_restart_sends_nothing_twice_and_records_what_kafka_has_and_mysql_lacks(thresh, infrastructure,
                                                                               definition):
    [first] = transitions_of(infrastructure, definition["definition"])
    # A transition that reached Kafka while its MySQL write did not (a crash between the two).
    sent = dict(first, oldState="ALARM", newState="OK", timestamp=int(time.time() * 1000) + 1000)
    produce(infrastructure, "alarm-state-transitions", json.dumps({"alarm-transitioned": sent}))
    docker("restart", "--time", "20", thresh)
    wait_healthy(thresh, timeout=120)
    rows = root_sql(infrastructure, "SELECT state FROM alarm WHERE id = %s", (first["alarmId"],))
    assert rows == (("OK",),)
    # The engine took that state from MySQL: a crossing value is a change again,
    # sent once; nothing from before the restart is sent a second time.
    produce(infrastructure, "metrics", good_metric(definition))
    deadline, seen = time.monotonic() + 60, []
    while len(seen) < 3 and time.monotonic() < deadline:
        seen = transitions_of(infrastructure, definition["definition"])
    assert [(e["oldState"], e["newState"]) for e in seen] == \
        [("UNDETERMINED", "ALARM"), ("ALARM", "OK"), ("OK", "ALARM")]


def test_stop_is_prompt_and_clean(thresh):
    started = time.monotonic()
    docker("stop", "--time", "20", thresh)
    assert time.monotonic() - started < 10
    assert docker("inspect", "-f", "{{.State.ExitCode}}", thresh).stdout.strip() == "0"
