"""monasca/persister: start path, and `docker stop` writing the batch in hand to a real InfluxDB."""
import json
import time
import uuid

import pytest

from tests.support import build, docker, wait_healthy

IMAGE = "monasca/persister:latest"
# Of the InfluxDB users its init job makes; the persister writes as PERSISTER.
PASSWORDS = {"INFLUXDB_ADMIN_PASSWORD": "admin-pw", "API_PASSWORD": "api-pw", "PERSISTER_PASSWORD": "persister-pw"}


@pytest.fixture(scope="module")
def persister_image(base_image):
    build("persister")
    return IMAGE


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


def stored_points(deps, name):
    result = docker("exec", deps["influxdb"], "influx", "-username", "admin",
                    "-password", PASSWORDS["INFLUXDB_ADMIN_PASSWORD"], "-database", "mon", "-format", "json",
                    "-execute", f'SELECT count(value) FROM "{name}"')
    series = json.loads(result.stdout).get("results", [{}])[0].get("series", [])
    return series[0]["values"][0][1] if series else 0


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
