"""monasca/kafka: a KRaft broker that answers, the init-topics job, clean stop."""
import time
import uuid

import pytest

from ..support import free_port
from tests.support import build, docker, wait_healthy

IMAGE = "monasca/kafka:latest"
TOPICS = {"metrics": 64, "events": 12, "alarm-state-transitions": 12, "alarm-notifications": 12,
          "retry-notifications": 3, "60-seconds-notifications": 3, "log": 12}


@pytest.fixture(scope="module")
def kafka_image(base_image):
    build("kafka")
    return IMAGE


@pytest.fixture(scope="module")
def broker(kafka_image):
    """A broker on its own network as `kafka`, also reachable from the host."""
    suffix = uuid.uuid4().hex[:8]
    network, name, port = f"kafka-test-{suffix}", f"kafka-test-{suffix}", free_port()
    docker("network", "create", network)
    try:
        docker("run", "-d", "--name", name, "--network", network, "--network-alias", "kafka",
               "--health-interval", "2s", "--health-start-period", "60s",
               "-p", f"127.0.0.1:{port}:29092",
               "-e", "KAFKA_HEAP_OPTS=-Xmx512M -Xms256M",
               "-e", "KAFKA_LISTENERS=PLAINTEXT://:9092,HOST://:29092",
               "-e", f"KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://kafka:9092,HOST://127.0.0.1:{port}",
               "-e", "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP=PLAINTEXT:PLAINTEXT,HOST:PLAINTEXT",
               kafka_image)
        wait_healthy(name)
        yield {"name": name, "network": network, "port": port}
    finally:
        docker("rm", "-f", "-v", name, check=False)
        docker("network", "rm", network, check=False)


def init_topics(broker, *env):
    return docker("run", "--rm", "--network", broker["network"], *env, IMAGE, "init-topics",
                  check=False, timeout=120)


def test_init_topics_creates_monasca_topics_and_is_idempotent(broker):
    first = init_topics(broker)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "created metrics: 64 partitions, replication 1" in first.stdout

    # A client on the host sees every topic with its partitions (the broker's
    # metadata may trail the controller by a moment).
    from kafka import KafkaConsumer
    consumer = KafkaConsumer(bootstrap_servers=f"127.0.0.1:{broker['port']}")
    try:
        deadline = time.monotonic() + 20
        while not set(TOPICS) <= consumer.topics() and time.monotonic() < deadline:
            time.sleep(0.5)
        for topic, partitions in TOPICS.items():
            assert len(consumer.partitions_for_topic(topic) or ()) == partitions, topic
    finally:
        consumer.close()

    second = init_topics(broker)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "created" not in second.stdout
    assert "metrics exists: 64 partitions" in second.stdout

    # The wait grammar of the other images sees the topics too.
    wait = docker("exec", broker["name"], "monasca-wait", "--timeout=10",
                  "kafka://127.0.0.1:9092/" + ",".join(TOPICS), check=False)
    assert wait.returncode == 0, wait.stderr


def test_init_topics_grows_partitions_and_takes_topic_config(broker):
    result = init_topics(broker, "-e", "KAFKA_CREATE_TOPICS=events:16:1, compacted-test:2:1",
                         "-e", "KAFKA_TOPIC_CONFIG=cleanup.policy=compact")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "grew events from 12 to 16 partitions" in result.stdout
    described = docker("exec", broker["name"], "kafka-topics.sh", "--bootstrap-server",
                       "127.0.0.1:9092", "--describe", "--topic", "compacted-test").stdout
    assert "PartitionCount: 2" in described
    assert "cleanup.policy=compact" in described


def test_console_tools_produce_and_consume(broker):
    docker("exec", "-i", broker["name"], "kafka-console-producer.sh", "--bootstrap-server",
           "127.0.0.1:9092", "--topic", "log", input="console-message\n", timeout=60)
    consumed = docker("exec", broker["name"], "kafka-console-consumer.sh", "--bootstrap-server",
                      "127.0.0.1:9092", "--topic", "log", "--from-beginning",
                      "--max-messages", "1", "--timeout-ms", "30000", timeout=60)
    assert consumed.stdout.strip() == "console-message"


def test_host_client_produces_and_consumes(broker):
    from kafka import KafkaConsumer, KafkaProducer
    bootstrap = f"127.0.0.1:{broker['port']}"
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    producer.send("alarm-notifications", b"from-the-host").get(timeout=30)
    producer.close()
    consumer = KafkaConsumer("alarm-notifications", bootstrap_servers=bootstrap,
                             auto_offset_reset="earliest", consumer_timeout_ms=30000,
                             group_id="kafka-image-test")
    try:
        # Stops at the message; the timeout only bounds a failure.
        found = any(message.value == b"from-the-host" for message in consumer)
    finally:
        consumer.close()
    assert found


def test_stop_is_clean_and_data_survives_a_restart(broker):
    started = time.monotonic()
    docker("stop", "-t", "30", broker["name"], timeout=60)
    assert time.monotonic() - started < 30
    assert docker("inspect", "-f", "{{.State.ExitCode}}", broker["name"]).stdout.strip() == "0"
    docker("start", broker["name"])
    wait_healthy(broker["name"])
    listed = docker("exec", broker["name"], "kafka-topics.sh", "--bootstrap-server",
                    "127.0.0.1:9092", "--list").stdout.split()
    assert set(TOPICS) <= set(listed)
    logs = docker("logs", broker["name"], check=False)
    assert (logs.stdout + logs.stderr).count("Formatting metadata directory") == 1


def test_init_topics_names_the_broker_that_never_came(kafka_image):
    result = docker("run", "--rm", "-e", "MONASCA_WAIT_TIMEOUT=3", kafka_image, "init-topics",
                    check=False, timeout=60)
    assert result.returncode != 0
    assert "kafka://kafka:9092" in result.stderr
