"""monasca/persister: start path, and `docker stop` writing the batch in hand to a real InfluxDB."""
import json
import time
import uuid

import pytest

from tests.image import built_image
from tests.support import build, docker, wait_healthy

IMAGE = "monasca/persister:latest"
# Of the InfluxDB users its init job makes; the persister writes as PERSISTER.
PASSWORDS = {"INFLUXDB_ADMIN_PASSWORD": "admin-pw", "API_PASSWORD": "api-pw", "PERSISTER_PASSWORD": "persister-pw"}


persister_image = built_image("persister")


def test_missing_password_is_named(persister_image):
    result = docker("run", "--rm", persister_image, check=False)
    assert result.returncode != 0
    assert "INFLUX_PASSWORD is required" in result.stderr


def test_wait_names_kafka_and_influxdb(persister_image):
    result = docker("run", "--rm", "-e", "INFLUX_PASSWORD=s3cr$t", "-e", "MONASCA_WAIT_TIMEOUT=3",
                    persister_image, check=False)
    assert result.returncode != 0
    assert "kafka://kafka:9092/alarm-state-transitions,metrics" in result.stderr
    assert "influxdb://mon_persister:${INFLUX_PASSWORD}@influxdb:8086/mon" in result.stderr
    assert "s3cr$t" not in result.stdout + result.stderr


def test_password_reaches_oslo_config_literally(persister_image):
    # oslo.config expands $name in values: a '$' in the password must be escaped.
    script = ("/start.sh >/dev/null 2>&1; python3 -c \"from oslo_config import cfg; "
              "from monasca_persister.conf import influxdb; influxdb.register_opts(cfg.CONF); "
              "cfg.CONF(['--config-file', '/etc/monasca/monasca-persister.conf']); "
              "print(cfg.CONF.influxdb.password)\"")
    result = docker("run", "--rm", "-e", "INFLUX_PASSWORD=a$b$$c", "-e", "MONASCA_WAIT_TIMEOUT=1",
                    persister_image, "sh", "-c", script)
    assert result.stdout.strip() == "a$b$$c"


@pytest.fixture(scope="module")
def kafka_and_influxdb(persister_image):
    """Real Kafka (with Monasca's topics) and InfluxDB (with its users) on a network of their own."""
    build("kafka", "influxdb")
    suffix = uuid.uuid4().hex[:8]
    network = f"persister-test-{suffix}"
    kafka, influxdb = f"persister-test-kafka-{suffix}", f"persister-test-influxdb-{suffix}"
    docker("network", "create", network)
    try:
        docker("run", "-d", "--name", kafka, "--network", network, "--network-alias", "kafka",
               "--health-interval", "2s", "-e", "KAFKA_HEAP_OPTS=-Xmx512M -Xms256M", "monasca/kafka:latest")
        docker("run", "-d", "--name", influxdb, "--network", network, "--network-alias", "influxdb",
               "--health-interval", "2s", "monasca/influxdb:latest")
        wait_healthy(kafka)
        wait_healthy(influxdb)
        docker("run", "--rm", "--network", network, "monasca/kafka:latest", "init-topics", timeout=120)
        docker("run", "--rm", "--network", network, *[f"-e{key}={value}" for key, value in PASSWORDS.items()],
               "monasca/influxdb:latest", "init", timeout=120)
        yield {"network": network, "kafka": kafka, "influxdb": influxdb}
    finally:
        docker("rm", "-f", "-v", kafka, influxdb, check=False)
        docker("network", "rm", network, check=False)


# Five measurements in the envelope the API puts on the metrics topic.
PRODUCER = """
import json, sys, time
from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers="kafka:9092")
now = int(time.time() * 1000)
for n in range(5):
    metric = {"name": sys.argv[1], "dimensions": {"n": str(n)}, "timestamp": now + n, "value": float(n),
              "value_meta": {}}
    producer.send("metrics", json.dumps({"metric": metric, "meta": {"tenantId": "t", "region": "r"},
                                         "creation_time": now // 1000}).encode())
producer.flush()
"""


def influx_count(deps, query):
    """The count a `SELECT count(...)` query finds in database mon (0 when there is no series)."""
    result = docker("exec", deps["influxdb"], "influx", "-username", "admin",
                    "-password", PASSWORDS["INFLUXDB_ADMIN_PASSWORD"], "-database", "mon", "-format", "json",
                    "-execute", query)
    series = json.loads(result.stdout).get("results", [{}])[0].get("series", [])
    return series[0]["values"][0][1] if series else 0


def stored_points(deps, name):
    return influx_count(deps, f'SELECT count(value) FROM "{name}"')


def consumer_has_partitions(deps):
    described = docker("exec", deps["kafka"], "/opt/kafka/bin/kafka-consumer-groups.sh",
                       "--bootstrap-server", "kafka:9092", "--describe", "--members", "--group", "1_metrics",
                       check=False).stdout
    return any(line.split()[-1].isdigit() and int(line.split()[-1]) > 0
               for line in described.splitlines() if line.startswith("1_metrics"))


def test_docker_stop_writes_the_batch_in_hand_and_exits_zero(persister_image, kafka_and_influxdb):
    deps, metric = kafka_and_influxdb, f"stop.test.{uuid.uuid4().hex[:8]}"
    docker("run", "--rm", "--network", deps["network"], "--entrypoint", "python3", "monasca/base:latest",
           "-c", PRODUCER, metric, timeout=120)
    name = f"monasca-test-persister-{uuid.uuid4().hex[:8]}"
    # Neither the batch size nor the batch timer can be reached: only the stop writes the batch.
    docker("run", "-d", "--name", name, "--network", deps["network"],
           "-e", f"INFLUX_PASSWORD={PASSWORDS['PERSISTER_PASSWORD']}",
           "-e", "KAFKA_METRICS_BATCH_SIZE=1000", "-e", "KAFKA_METRICS_WAIT_TIME=600", persister_image)
    try:
        deadline = time.monotonic() + 120
        while not consumer_has_partitions(deps):
            assert docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == "true", \
                docker("logs", name).stderr
            assert time.monotonic() < deadline, "the persister never joined its consumer group"
            time.sleep(1)
        # The messages were there before it joined (offsets reset to earliest):
        # the first fetch takes them; give it a few seconds.
        time.sleep(5)
        assert stored_points(deps, metric) == 0, "the batch was written before the stop"
        started = time.monotonic()
        docker("stop", "--time", "20", name)
        elapsed = time.monotonic() - started
        state = docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip()
        logs = docker("logs", name, check=False)
    finally:
        docker("rm", "-f", "-v", name, check=False)
    assert state == "0", logs.stdout + logs.stderr
    assert elapsed < 10, f"stop took {elapsed:.1f}s"
    assert stored_points(deps, metric) == 5, logs.stdout + logs.stderr


# Raw messages onto a topic; prints the [partition, offset] of each.
PRODUCE = """
import json, sys
from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers="kafka:9092", acks="all")
futures = [producer.send(sys.argv[1], raw.encode()) for raw in json.load(sys.stdin)]
producer.flush()
print(json.dumps([[future.get().partition, future.get().offset] for future in futures]))
"""

# A stream of count measurements at about rate per second; prints how many Kafka acknowledged.
STREAM = """
import json, sys, time
from kafka import KafkaProducer
producer = KafkaProducer(bootstrap_servers="kafka:9092", acks="all", linger_ms=5)
name, count, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
start = time.time()
futures = []
for n in range(count):
    metric = {"name": name, "dimensions": {"n": str(n)}, "timestamp": int(start * 1000) + n, "value": 1.0}
    futures.append(producer.send("metrics", json.dumps({"metric": metric, "meta": {"tenantId": "t", "region": "r"},
                                                      "creation_time": int(start)}).encode()))
    time.sleep(max(0.0, start + (n + 1) / rate - time.time()))
producer.flush()
print(sum(1 for future in futures if future.succeeded()))
"""


def produce(deps, topic, messages):
    result = docker("run", "--rm", "-i", "--network", deps["network"], "--entrypoint", "python3",
                    "monasca/base:latest", "-c", PRODUCE, topic, input=json.dumps(messages), timeout=120)
    return json.loads(result.stdout)


def metric_message(name, n, timestamp, dimensions=None):
    metric = {"name": name, "dimensions": dimensions or {"n": str(n)}, "timestamp": timestamp, "value": float(n)}
    return json.dumps({"metric": metric, "meta": {"tenantId": "t", "region": "r"}, "creation_time": 0})


def transition_message(alarm_id, timestamp):
    return json.dumps({"alarm-transitioned": {
        "tenantId": "t", "alarmId": alarm_id, "alarmDefinitionId": "d", "alarmName": "a", "alarmDescription": "",
        "metrics": [{"name": "m", "dimensions": {}}], "oldState": "OK", "newState": "ALARM", "actionsEnabled": True,
        "stateChangeReason": "test", "severity": "LOW", "link": None, "lifecycleState": None, "subAlarms": [],
        "timestamp": timestamp}})


def stored_transitions(deps, alarm_id):
    return influx_count(deps, f"SELECT count(new_state) FROM alarm_state_history WHERE alarm_id = '{alarm_id}'")


def start_persister(deps, *args, env=()):
    """A running persister that holds the metrics partitions; the caller removes it."""
    name = f"monasca-test-persister-{uuid.uuid4().hex[:8]}"
    env_args = [arg for pair in env for arg in ("-e", pair)]
    docker("run", "-d", "--name", name, "--network", deps["network"], *args,
           "-e", f"INFLUX_PASSWORD={PASSWORDS['PERSISTER_PASSWORD']}", *env_args, IMAGE)
    deadline = time.monotonic() + 120
    while not consumer_has_partitions(deps):
        assert docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == "true", \
            docker("logs", name).stderr
        assert time.monotonic() < deadline, "the persister never joined its consumer group"
        time.sleep(1)
    return name


def wait_for(count, read, logs_of, timeout=90):
    deadline = time.monotonic() + timeout
    while (found := read()) < count:
        assert time.monotonic() < deadline, f"{found} of {count} stored\n{logs_of()}"
        time.sleep(1)
    return found


def test_poison_is_counted_logged_and_skipped_and_the_rest_written(persister_image, kafka_and_influxdb):
    deps, metric, alarm = kafka_and_influxdb, f"poison.test.{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    # A batch timer of 3 s keeps the good and the poison in one batch.
    name = start_persister(deps, env=["KAFKA_METRICS_WAIT_TIME=3", "KAFKA_ALARM_HISTORY_WAIT_TIME=3"])
    try:
        started = docker("inspect", "-f", "{{.State.StartedAt}}", name).stdout
        logs = lambda: (lambda r: r.stdout + r.stderr)(docker("logs", name, check=False))  # noqa: E731
        now = int(time.time() * 1000)
        poison = ["not json {",
                  json.dumps({"metric": {"name": metric, "timestamp": now, "value": 1.0}}),  # no meta
                  metric_message(metric, 90, 1e20),  # InfluxDB refuses the time
                  metric_message(metric, 91, now, {"d": "a\nb"})]  # would split the line in two
        good = [metric_message(metric, n, now + n) for n in range(6)]
        positions = produce(deps, "metrics", good[:3] + poison + good[3:])
        wait_for(6, lambda: stored_points(deps, metric), logs)
        bad_transitions = ["{", json.dumps({"alarm-transitioned": {"alarmId": alarm}}), transition_message(alarm, 1e20)]
        alarm_positions = produce(deps, "alarm-state-transitions", bad_transitions + [transition_message(alarm, now)])
        wait_for(1, lambda: stored_transitions(deps, alarm), logs)
        # The next batch flows, from the same process.
        produce(deps, "metrics", [metric_message(metric, n, now + n) for n in range(6, 9)])
        wait_for(9, lambda: stored_points(deps, metric), logs)
        output = logs()
        assert docker("inspect", "-f", "{{.State.StartedAt}}", name).stdout == started, output
        assert docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip() == "true", output
    finally:
        docker("rm", "-f", "-v", name, check=False)
    for partition, offset in positions[3:7]:
        assert f"Skipped metrics[{partition}]@{offset}: invalid message" in output \
            or f"Skipped metrics[{partition}]@{offset}: InfluxDB refused the point" in output, output
    for partition, offset in alarm_positions[:3]:
        assert f"Skipped alarm-state-transitions[{partition}]@{offset}:" in output, output
    assert "field 'meta' missing" in output
    assert "a line break in its name or dimensions" in output
    for topic, count in (("metrics", 4), ("alarm-state-transitions", 3)):
        skips = [line for line in output.splitlines() if f"Skipped {topic}[" in line]
        assert len(skips) == count and skips[-1].endswith(f"({count} skipped since start)"), output
    assert stored_points(deps, metric) == 9


KILL_CONSUMERS = """
import os, signal
procs = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat, cmd = open(f"/proc/{pid}/stat").read(), open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        continue
    procs[int(pid)] = (int(stat.rsplit(")", 1)[1].split()[1]), b"monasca-persister-run" in cmd)
consumers = [pid for pid, (ppid, ours) in procs.items() if ours and procs.get(ppid, (0, False))[1]]
for pid in consumers:
    os.kill(pid, signal.SIGKILL)
print(consumers)
"""


def test_sigkill_of_the_consumers_during_a_stream_loses_nothing(persister_image, kafka_and_influxdb):
    deps, metric, count = kafka_and_influxdb, f"kill.test.{uuid.uuid4().hex[:8]}", 3000
    # The image's batch size and timer: the kill lands on a batch in hand.
    name = start_persister(deps, "--restart", "on-failure")
    stream = f"{name}-stream"
    try:
        logs = lambda: (lambda r: r.stdout + r.stderr)(docker("logs", name, check=False))  # noqa: E731
        docker("run", "-d", "--name", stream, "--network", deps["network"], "--entrypoint", "python3",
               "monasca/base:latest", "-c", STREAM, metric, str(count), "300")
        deadline = time.monotonic() + 60
        while stored_points(deps, metric) < 300:  # flowing: written and committed at least once
            assert time.monotonic() < deadline, logs()
            time.sleep(0.5)
        killed = docker("exec", name, "python3", "-c", KILL_CONSUMERS).stdout
        assert len(json.loads(killed)) == 2, killed  # metrics and alarm transitions
        assert docker("wait", stream, timeout=120).stdout.strip() == "0", docker("logs", stream).stderr
        assert docker("logs", stream).stdout.strip() == str(count)
        wait_for(count, lambda: stored_points(deps, metric), logs, timeout=120)
        restarts = docker("inspect", "-f", "{{.RestartCount}}", name).stdout.strip()
    finally:
        docker("rm", "-f", "-v", name, stream, check=False)
    assert restarts == "1"
    assert stored_points(deps, metric) == count
