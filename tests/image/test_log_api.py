"""monasca/log-api: monasca-api with only its logs API; the start path without real dependencies."""

import pytest

from tests.support import build, docker

IMAGE = "monasca/log-api:latest"


@pytest.fixture(scope="module")
def image(base_image):
    build("log-api")
    return IMAGE


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
    """The app loads on this Python; logs are accepted, metrics routes absent,
    the health check reports Kafka (absent here) as unhealthy, and a $ in the
    password reaches keystonemiddleware literally."""
    result = docker("run", "--rm", "-e", "KEYSTONE_SERVICE_PASSWORD=pa$word", "-e", "KAFKA_URI=127.0.0.1:1",
                    "--entrypoint", "sh", image, "-c",
                    "templer -t -f -c /etc/monasca/templates/defaults.yml /etc/monasca/templates /etc/monasca"
                    " && python -c \"$0\"", ROUTES)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split() for line in result.stdout.splitlines() if line.split()[0] in
                 {"metrics", "logs", "health-head", "health-get", "password"})
    assert lines == {"metrics": "404", "logs": "204", "health-head": "204", "health-get": "503",
                     "password": "pa$word"}
