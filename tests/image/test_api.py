"""monasca/api at start: required variables and dependencies it waits for."""

import pytest

from tests.support import build, docker

PASSWORDS = {"MYSQL_PASSWORD": "my-secret-1", "INFLUX_PASSWORD": "influx-secret-2",
             "KEYSTONE_SERVICE_PASSWORD": "keystone-secret-3"}


@pytest.fixture(scope="module")
def api_image(base_image):
    build("api")
    return "monasca/api:latest"


def run(image, env):
    args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    return docker("run", "--rm", *args, image, check=False, timeout=120)


def test_missing_password_stops_the_start_and_names_it(api_image):
    result = run(api_image, {k: v for k, v in PASSWORDS.items() if k != "MYSQL_PASSWORD"})
    assert result.returncode != 0
    assert "MYSQL_PASSWORD is required" in result.stderr


def test_a_dependency_that_never_comes_is_named_and_no_password_shown(api_image):
    result = run(api_image, {**PASSWORDS, "MONASCA_WAIT_TIMEOUT": "3", "KAFKA_URI": "127.0.0.1:1"})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "kafka://127.0.0.1:1/metrics,alarm-state-transitions" in output
    assert "mysql://monapi:${MYSQL_PASSWORD}@mysql:3306/mon: cannot resolve host name" in output
    for secret in PASSWORDS.values():
        assert secret not in output


def test_typed_boolean_turns_off_mysql(api_image):
    result = run(api_image, {**PASSWORDS, "API_MYSQL_DISABLED": "false", "MONASCA_WAIT_TIMEOUT": "1"})
    assert "mysql://" in result.stdout + result.stderr
    result = run(api_image, {**PASSWORDS, "API_MYSQL_DISABLED": "true", "MONASCA_WAIT_TIMEOUT": "1"})
    assert "mysql://" not in result.stdout + result.stderr
