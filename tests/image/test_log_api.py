"""monasca/log-api: monasca-api with only its logs API; the start path without real dependencies,
then ingest against real Kafka and Keystone (acknowledged publishing, body limit)."""
import json
import time
import uuid

import pytest

from tests.image.ingest import (KEYSTONE_PASSWORDS, assert_refused_unread, env_args, post, published, start_kafka_again,
                                token as keystone_token, topic_messages)
from tests.image import built_image
from tests.support import docker, wait_healthy

IMAGE = "monasca/log-api:latest"


image = built_image("log-api")


def test_missing_password_is_named(image):
    result = docker("run", "--rm", image, check=False)
    assert result.returncode != 0
    assert "KEYSTONE_SERVICE_PASSWORD is required" in result.stderr


def test_wait_names_kafka_and_the_logs_topic(image):
    result = docker("run", "--rm", "-e", "KEYSTONE_SERVICE_PASSWORD=secret",
                    "-e", "MONASCA_WAIT_TIMEOUT=3", image, check=False)
    assert result.returncode != 0
    assert "kafka://kafka:9092/log" in result.stderr
    assert "secret" not in result.stdout + result.stderr


def test_config_enables_only_the_logs_api(image):
    result = docker("run", "--rm", "-e", "KEYSTONE_SERVICE_PASSWORD=secret",
                    "-e", "KAFKA_WAIT_FOR_TOPICS=log,audit", "--entrypoint", "sh", image, "-c",
                    "templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca"
                    " && cat /etc/monasca/monasca-api.conf /etc/monasca/wait.args")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "enable_metrics_api = false" in out
    assert "enable_logs_api = true" in out
    assert "logs_topics = log\n" in out and "logs_topics = audit\n" in out
    assert "kafka://kafka:9092/log,audit" in out
    assert "[database]" not in out


ROUTES = r"""
import json, sys
sys.argv = ["gunicorn"]
from falcon import testing
from monasca_api.api import server
client = testing.TestClient(server.launch(None))
from oslo_config import cfg
conf = cfg.ConfigOpts()  # read as keystonemiddleware does, with oslo.config
conf.register_opt(cfg.StrOpt("password"), group="keystone_authtoken")
conf(args=[], default_config_files=["/etc/monasca/monasca-api.conf"])
print("password", conf.keystone_authtoken.password)
body = json.dumps({"dimensions": {"hostname": "h"}, "logs": [{"message": "hello"}]})
headers = {"Content-Type": "application/json", "X-Roles": "monasca-agent", "X-Project-Id": "p"}
print("metrics", client.simulate_get("/v2.0/metrics").status_code)
print("logs", client.simulate_post("/v2.0/logs", headers=headers, body=body).status_code)
print("health-head", client.simulate_head("/healthcheck").status_code)
print("health-get", client.simulate_get("/healthcheck").status_code)
"""


def test_app_serves_logs_not_metrics(image):
    """The app loads on this Python; the logs route is there (and, Kafka being
    absent here, refuses logs with 503 rather than accepting what it cannot
    publish), metrics routes absent, the health check reports Kafka as
    unhealthy, and a $ in the password reaches keystonemiddleware literally."""
    result = docker("run", "--rm", "-e", "KEYSTONE_SERVICE_PASSWORD=pa$word", "-e", "KAFKA_URI=127.0.0.1:1",
                    "-e", "KAFKA_PUBLISH_TIMEOUT=1",
                    "--entrypoint", "sh", image, "-c",
                    "templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca"
                    " && python -c \"$0\"", ROUTES)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split() for line in result.stdout.splitlines() if line.split()[0] in
                 {"metrics", "logs", "health-head", "health-get", "password"})
    assert lines == {"metrics": "404", "logs": "503", "health-head": "204", "health-get": "503",
                     "password": "pa$word"}


# --- ingest against real Kafka and Keystone ----------------------------------

PUBLISH_TIMEOUT = 3
BODY_LIMIT = 65536


@pytest.fixture(scope="module")
def log_api(image, ingest_deps):
    """The logs API on the ingest network with a 3 s publish bound and a 64 KiB body limit; yields its address."""
    name = f"ingest-test-log-api-{uuid.uuid4().hex[:8]}"
    env = {"KEYSTONE_SERVICE_PASSWORD": KEYSTONE_PASSWORDS["MONASCA_LOG_API_SERVICE_PASSWORD"],
           "GUNICORN_WORKERS": "2", "GUNICORN_TIMEOUT": "60", "KAFKA_PUBLISH_TIMEOUT": str(PUBLISH_TIMEOUT),
           "MAX_BODY_SIZE": str(BODY_LIMIT)}
    docker("run", "-d", "--name", name, "--network", ingest_deps["network"], "--health-interval", "2s",
           "-p", "127.0.0.1::5607", *env_args(env), image)
    try:
        wait_healthy(name, timeout=180)
        yield published(name, 5607)
    finally:
        docker("rm", "-f", "-v", name, check=False)


@pytest.fixture(scope="module")
def token(ingest_deps):
    return keystone_token(ingest_deps["keystone_url"])


def logs(marker, count=1):
    return {"dimensions": {"hostname": "h1"}, "logs": [{"message": f"{marker} {n}"} for n in range(count)]}


def test_a_post_is_204_and_its_logs_are_on_the_topic(log_api, token, ingest_deps):
    marker = f"ingest-ok-{uuid.uuid4().hex[:8]}"
    status, body, _ = post(f"http://{log_api}/v2.0/logs", token, logs(marker, 3))
    assert status == 204, body
    assert len(topic_messages(ingest_deps["network"], "log", marker)) == 3


def test_a_log_upstream_drops_is_refused_not_answered_204(log_api, token, ingest_deps):
    marker = f"ingest-dropped-{uuid.uuid4().hex[:8]}"
    body = logs(marker, 2)
    body["logs"].append({"text": "no message"})
    status, text, _ = post(f"http://{log_api}/v2.0/logs", token, body)
    assert status == 422, text
    assert "1 of 3 logs refused" in json.loads(text)["description"]
    # The two good logs (with no dimensions of their own) were published.
    assert len(topic_messages(ingest_deps["network"], "log", marker)) == 2


def test_a_body_over_the_limit_gets_413_without_being_read(log_api, token):
    assert_refused_unread(log_api, "/v2.0/logs", token, BODY_LIMIT)


def test_kafka_down_gets_503_within_the_bound_and_nothing_answered_2xx_is_lost(log_api, token, ingest_deps):
    marker = f"ingest-outage-{uuid.uuid4().hex[:8]}"
    docker("stop", ingest_deps["kafka"])
    try:
        for _ in range(3):
            status, body, seconds = post(f"http://{log_api}/v2.0/logs", token, logs(marker, 10))
            assert status == 503, body
            assert "Kafka did not acknowledge 10 of 10 messages to topic log" in body
            assert seconds < PUBLISH_TIMEOUT + 2
    finally:
        start_kafka_again(ingest_deps["kafka"])
    deadline = time.monotonic() + 60
    while (status := post(f"http://{log_api}/v2.0/logs", token, logs(marker, 10))[0]) != 204 \
            and time.monotonic() < deadline:
        assert status == 503
        time.sleep(1)
    assert status == 204
    on_topic = topic_messages(ingest_deps["network"], "log", marker)
    assert {json.loads(m)["log"]["message"] for m in on_topic} == {f"{marker} {n}" for n in range(10)}
