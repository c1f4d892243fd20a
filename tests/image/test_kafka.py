"""monasca/kafka: a KRaft broker that answers, the init-topics job, clean stop; three
nodes of one quorum that lose no acknowledged message when one is lost."""
import json
import re
import time
import uuid

import pytest

from ..support import free_port
from tests.image import built_image
from tests.support import docker, wait_healthy

IMAGE = "monasca/kafka:latest"
TOPICS = {"metrics": 64, "events": 12, "alarm-state-transitions": 12, "alarm-notifications": 12,
          "retry-notifications": 3, "60-seconds-notifications": 3, "log": 12}


kafka_image = built_image("kafka")


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


def test_init_topics_refuses_more_replicas_than_brokers_clearly(broker):
    # it waits up to MONASCA_WAIT_TIMEOUT for more brokers, then names the cause
    result = init_topics(broker, "-e", "KAFKA_CREATE_TOPICS=unreplicable:1:3", "-e", "MONASCA_WAIT_TIMEOUT=6")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "InvalidReplicationFactorError" in result.stderr
    assert "only 1 broker(s) are registered" in result.stderr
    listed = docker("exec", broker["name"], "kafka-topics.sh", "--bootstrap-server", "127.0.0.1:9092",
                    "--list").stdout.split()
    assert "unreplicable" not in listed


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


# Run in a container of the image on the cluster's network: "produce" sends
# the numbers FIRST-LAST with acks=all, each one confirmed; "consume" reads
# the topic from the start in a new consumer group until it has LAST numbers
# (or 180 s passed) and prints those it got.
CLIENT = """
import json, sys, time
from kafka import KafkaConsumer, KafkaProducer
bootstrap = sys.argv[1].split(",")
action, topic, group, first, last = sys.argv[2:]
if action == "produce":
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", retries=10)
    for number in range(int(first), int(last)):
        producer.send(topic, str(number).encode()).get(timeout=60)
    producer.close()
else:
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest")
    got, deadline = set(), time.monotonic() + 180
    while len(got) < int(last) and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=1000).values():
            got.update(int(record.value) for record in records)
    consumer.close()
    print(json.dumps(sorted(got)))
"""


@pytest.fixture
def three_nodes(kafka_image):
    """Three nodes of one KRaft quorum on a network of their own, replication 3."""
    suffix = uuid.uuid4().hex[:8]
    network, names = f"kafka3-test-{suffix}", [f"kafka3-test-{suffix}-{i}" for i in (1, 2, 3)]
    voters = ",".join(f"{i}@{name}:9093" for i, name in enumerate(names, 1))
    docker("network", "create", network)
    try:
        for i, name in enumerate(names, 1):
            docker("run", "-d", "--name", name, "--network", network,
                   "--health-interval", "2s", "--health-start-period", "120s",
                   "-e", f"KAFKA_BROKER_ID={i}", "-e", f"KAFKA_CONTROLLER_QUORUM_VOTERS={voters}",
                   "-e", f"KAFKA_ADVERTISED_HOST_NAME={name}",
                   "-e", "KAFKA_REPLICATION_FACTOR=3", "-e", "KAFKA_MIN_INSYNC_REPLICAS=2",
                   # three JVMs starting on a busy host: no election storm
                   "-e", "KAFKA_QUORUM_FETCH_TIMEOUT_MS=10000", "-e", "KAFKA_QUORUM_ELECTION_TIMEOUT_MS=5000",
                   "-e", "KAFKA_HEAP_OPTS=-Xmx384M -Xms128M", kafka_image)
        for name in names:
            wait_healthy(name, timeout=300)
        yield {"network": network, "names": names, "bootstrap": ",".join(f"{n}:9092" for n in names)}
    finally:
        for name in names:
            docker("rm", "-f", "-v", name, check=False)
        docker("network", "rm", network, check=False)


def client(cluster, *args):
    done = docker("run", "--rm", "--network", cluster["network"], IMAGE, "python3", "-c", CLIENT,
                  cluster["bootstrap"], *args, check=False, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return done.stdout


def test_three_nodes_lose_no_acknowledged_message_when_one_is_lost(three_nodes):
    first, second, third = three_nodes["names"]
    quorum = docker("exec", first, "kafka-metadata-quorum.sh", "--bootstrap-server", "127.0.0.1:9092",
                    "describe", "--status").stdout
    voters = json.loads(re.search(r"^CurrentVoters:\s*(.*)$", quorum, re.MULTILINE).group(1))
    assert sorted(voter["id"] for voter in voters) == [1, 2, 3], quorum

    made = docker("run", "--rm", "--network", three_nodes["network"],
                  "-e", f"KAFKA_URI={three_nodes['bootstrap']}", "-e", "KAFKA_CREATE_TOPICS=replicated:3:3",
                  "-e", "KAFKA_TOPIC_CONFIG=min.insync.replicas=2", IMAGE, "init-topics", check=False, timeout=120)
    assert "created replicated: 3 partitions, replication 3" in made.stdout, made.stdout + made.stderr
    described = docker("exec", second, "kafka-topics.sh", "--bootstrap-server", "127.0.0.1:9092",
                       "--describe", "--topic", "replicated").stdout
    assert "ReplicationFactor: 3" in described and "min.insync.replicas=2" in described, described

    # Before the loss, a group read creates __consumer_offsets (replication 3)
    # as the persister's first read would.
    client(three_nodes, "produce", "replicated", "-", "0", "100")
    assert json.loads(client(three_nodes, "consume", "replicated", "before", "0", "100")) == list(range(100))

    # A node lost as a node is: no clean shutdown. It leads one partition.
    docker("kill", first)
    client(three_nodes, "produce", "replicated", "-", "100", "200")
    assert json.loads(client(three_nodes, "consume", "replicated", "after", "0", "200")) == list(range(200))
    isr = docker("exec", third, "kafka-topics.sh", "--bootstrap-server", "127.0.0.1:9092",
                 "--describe", "--topic", "replicated").stdout
    assert re.findall(r"Isr: (\S+)", isr) and all("1" not in s.split(",") for s in re.findall(r"Isr: (\S+)", isr)), isr
