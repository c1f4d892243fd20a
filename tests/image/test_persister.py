"""monasca/persister: start path, and `docker stop` writing the batch in hand."""
import io
import subprocess
import tarfile
import time
import uuid

import pytest

from .conftest import build, docker

IMAGE = "monasca/persister:latest"


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


# Runs monasca-persister-run with upstream's persister code against a fake
# Kafka consumer (5 messages, then nothing) and a fake repository that logs
# each batch it writes; batch size and commit interval are far from reached,
# so only the stop can write the batch.
HARNESS = r'''
import runpy, sys, time
from monasca_common.kafka import client_factory
from monasca_common.confluent_kafka import consumer as mc

EVENTS = "/tmp/events"
def event(text):
    with open(EVENTS, "a") as f:
        f.write(text + "\n")

class Message:
    def __init__(self, n): self.n = n
    def error(self): return None
    def value(self): return "m%d" % self.n

class FakeConfluent:
    def __init__(self): self.sent = 0
    def poll(self, timeout):
        if self.sent < 5:
            self.sent += 1
            return Message(self.sent)
        if self.sent == 5:
            self.sent += 1
            event("ready")
        time.sleep(timeout)
        return None
    def commit(self, asynchronous=True):
        event("commit asynchronous=%s" % asynchronous)
    def close(self):
        event("close")

def fake_consumer(**kwargs):
    c = mc.KafkaConsumer.__new__(mc.KafkaConsumer)
    c._consumer = FakeConfluent()
    c._commit_callback = kwargs["commit_callback"]
    c._max_commit_interval = kwargs["max_commit_interval"]
    c._last_commit = None
    return c
client_factory.get_kafka_consumer = fake_consumer

with open("/tmp/fakerepo.py", "w") as f:
    f.write("""
from monasca_persister.repositories import data_points
class FakeRepo(object):
    def __init__(self):
        self.data_points_class = data_points.DataPointsAsList
    def process_message(self, message):
        return message.value(), None
    def write_batch(self, points):
        with open('/tmp/events', 'a') as f:
            f.write('write %d\\n' % len(points))
""")
with open("/tmp/p.conf", "w") as f:
    f.write("""
[repositories]
metrics_driver = /tmp|fakerepo:FakeRepo
[kafka_metrics]
uri = kafka:9092
batch_size = 1000
max_wait_time_seconds = 300
[kafka_alarm_history]
enabled = false
[container]
stop_timeout = 8
""")
sys.argv = ["monasca-persister-run", "--config-file", "/tmp/p.conf"]
runpy.run_path("/usr/local/bin/monasca-persister-run", run_name="__main__")
'''


def test_docker_stop_writes_the_batch_and_exits_zero(persister_image):
    name = f"monasca-test-persister-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, "-e", f"HARNESS={HARNESS}", persister_image,
           "sh", "-c", 'exec python3 -c "$HARNESS"')
    try:
        deadline = time.monotonic() + 30
        while "ready" not in docker("exec", name, "cat", "/tmp/events", check=False).stdout:
            running = docker("inspect", "-f", "{{.State.Running}}", name).stdout.strip()
            assert running == "true", docker("logs", name).stderr
            assert time.monotonic() < deadline, "the consumer never took its messages"
            time.sleep(0.2)
        assert "write" not in docker("exec", name, "cat", "/tmp/events").stdout
        started = time.monotonic()
        docker("stop", "--time", "20", name)
        elapsed = time.monotonic() - started
        state = docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip()
        archive = subprocess.run(["docker", "cp", f"{name}:/tmp/events", "-"],
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            events = tar.extractfile("events").read().decode()
    finally:
        logs = docker("logs", name, check=False)
        docker("rm", "-f", name, check=False)
    assert state == "0", logs.stdout + logs.stderr
    assert elapsed < 8, f"stop took {elapsed:.1f}s"
    # The 5 messages are written, then their offsets committed synchronously,
    # then the consumer leaves the group.
    lines = [line for line in events.splitlines() if line != "ready"]
    assert lines[:3] == ["write 5", "commit asynchronous=False", "close"], events
