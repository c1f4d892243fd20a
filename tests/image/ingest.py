"""Real dependencies of the ingest tests of monasca/api and monasca/log-api:
Kafka (with Monasca's topics), InfluxDB, MariaDB with the mon schema,
Keystone and memcached on a network of their own, and what the tests do
with them (tokens, raw requests, reading a topic)."""
import json
import socket
import time
import urllib.error
import urllib.request
import uuid

from tests.support import MYSQL_PASSWORDS, build, docker, start_mon_database, wait_healthy

INFLUX_PASSWORDS = {"INFLUXDB_ADMIN_PASSWORD": "admin-pw", "API_PASSWORD": "influx-api-pw",
                    "PERSISTER_PASSWORD": "persister-pw"}
KEYSTONE_PASSWORDS = {"KEYSTONE_DB_PASSWORD": MYSQL_PASSWORDS["KEYSTONE_DB_PASSWORD"],
                      "KEYSTONE_ADMIN_PASSWORD": "ks-admin-pw", "MONASCA_USER_PASSWORD": "mini-mon-pw",
                      "MONASCA_AGENT_PASSWORD": "agent-pw", "MONASCA_READ_ONLY_PASSWORD": "ro-pw",
                      "MONASCA_API_SERVICE_PASSWORD": "api-svc-pw", "MONASCA_LOG_API_SERVICE_PASSWORD": "log-svc-pw",
                      "MONASCA_LOG_SEARCH_SERVICE_PASSWORD": "search-svc-pw"}


def env_args(env):
    return [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]


def start_deps():
    """Start everything; yield a dict of names (network, kafka, keystone URL); remove it all after."""
    build("mysql", "keystone", "kafka", "influxdb", "memcached", "api")
    suffix = uuid.uuid4().hex[:8]
    network = f"ingest-test-{suffix}"
    names = {role: f"ingest-test-{role}-{suffix}" for role in ("kafka", "influxdb", "mysql", "keystone", "memcached")}
    docker("network", "create", network)
    try:
        for role, extra in (("kafka", ["-e", "KAFKA_HEAP_OPTS=-Xmx512M -Xms256M"]), ("influxdb", []),
                            ("memcached", [])):
            docker("run", "-d", "--name", names[role], "--network", network, "--network-alias", role,
                   "--health-interval", "2s", *extra, f"monasca/{role}:latest")
        start_mon_database(names["mysql"], network)
        docker("run", "-d", "--name", names["keystone"], "--network", network, "--network-alias", "keystone",
               "--health-interval", "2s", "--health-start-period", "120s", "-p", "127.0.0.1::5000",
               *env_args(KEYSTONE_PASSWORDS), "monasca/keystone:latest")
        for role in ("kafka", "influxdb", "memcached"):
            wait_healthy(names[role])
        docker("run", "--rm", "--network", network, "monasca/kafka:latest", "init-topics", timeout=120)
        docker("run", "--rm", "--network", network, *env_args(INFLUX_PASSWORDS), "monasca/influxdb:latest",
               "init", timeout=120)
        wait_healthy(names["keystone"], timeout=300)
        yield {"network": network, **names, "keystone_url": f"http://{published(names['keystone'], 5000)}/v3"}
    finally:
        docker("rm", "-f", "-v", *names.values(), check=False)
        docker("network", "rm", network, check=False)


def published(container, port):
    return docker("port", container, str(port)).stdout.splitlines()[0]


def token(keystone_url, user="mini-mon", password=KEYSTONE_PASSWORDS["MONASCA_USER_PASSWORD"]):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": "mini-mon", "domain": {"id": "default"}}}}}
    req = urllib.request.Request(f"{keystone_url}/auth/tokens", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.headers["X-Subject-Token"]


def post(url, token_, body, timeout=30):
    """(status, response body, seconds) of a JSON POST."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json", "X-Auth-Token": token_})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), time.monotonic() - started


def raw_request(address, head, body_parts, timeout=20):
    """Send head and the body parts over a socket, then read the answer; (status, text, seconds).

    The body parts may fall short of what the head announces: an answer
    that still comes shows the server did not wait for the rest."""
    host, port = address.rsplit(":", 1)
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head.encode())
        for part in body_parts:
            try:
                sock.sendall(part)
            except OSError:
                break  # the server answered and closed: read what it said
        answer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            answer += chunk
    text = answer.decode(errors="replace")
    status = int(text.split(" ", 2)[1]) if text.startswith("HTTP/") else 0
    return status, text, time.monotonic() - started


def assert_refused_unread(address, path, token, limit):
    """A body past `limit` gets 413 at once, announced by Content-Length or sent chunked."""
    head = (f"POST {path} HTTP/1.1\r\nHost: {address}\r\nX-Auth-Token: {token}\r\n"
            "Content-Type: application/json\r\n")
    # 100 MB announced, none sent: an answer at once shows nothing waited for the body.
    status, text, seconds = raw_request(address, head + "Content-Length: 104857600\r\n\r\n", [])
    assert status == 413 and f"larger than {limit} bytes (MAX_BODY_SIZE)" in text, text
    assert seconds < 5
    # Chunked: a 100 MB chunk announced, 1 KiB past the limit sent, and
    # refused at once. (gunicorn decodes chunked bodies in 1 KiB reads, so
    # the filter's read of limit + 1 bytes returns once that much is in;
    # sending much more than the server reads would make its close a TCP
    # reset, which can discard the answer before it is read.)
    status, text, seconds = raw_request(address, head + "Transfer-Encoding: chunked\r\n\r\n",
                                        [b"%x\r\n" % 104857600 + b"x" * (limit + 1024)])
    assert status == 413 and "MAX_BODY_SIZE" in text, text
    assert seconds < 5


# Reads a topic from its beginning to its end offsets at the start: every
# message that was on it, with no idle timeout to guess.
READ_TOPIC = """
import sys, time
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
topic = sys.argv[1]
consumer = Consumer({"bootstrap.servers": "kafka:9092", "group.id": "test-reader", "enable.auto.commit": False})
partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1] for p in partitions}
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
left = {p for p, end in ends.items() if end > 0}
deadline = time.monotonic() + 120
while left and time.monotonic() < deadline:
    message = consumer.poll(1)
    if message is not None and not message.error():
        print(message.value().decode(errors="replace").replace(chr(10), " "))
        if message.offset() + 1 >= ends[message.partition()]:
            left.discard(message.partition())
sys.exit(1 if left else 0)
"""


def topic_messages(network, topic, wanted):
    """The messages on topic that contain wanted."""
    result = docker("run", "--rm", "--network", network, "--entrypoint", "python3", "monasca/api:latest",
                    "-c", READ_TOPIC, topic, timeout=180)
    return [line for line in result.stdout.splitlines() if wanted in line]


def start_kafka_again(kafka):
    docker("start", kafka)
    wait_healthy(kafka, timeout=120)
