"""monasca/client: arguments go to the monasca CLI; no health check."""
import json

import pytest

from tests.image import built_image
from tests.support import docker


client_image = built_image("client")


def run(image, *args, env=None):
    env_args = [arg for key, value in (env or {}).items() for arg in ("-e", f"{key}={value}")]
    return docker("run", "--rm", *env_args, image, *args, check=False, timeout=120)


@pytest.mark.parametrize("args", [(), ("--help",), ("monasca", "--help"), ("help",)],
                         ids=["no-arguments", "option", "monasca-prefix", "subcommand"])
def test_arguments_go_to_monasca(client_image, args):
    result = run(client_image, *args)
    assert result.returncode == 0, result.stderr
    assert "usage: monasca" in result.stdout


def test_version_prints_build_information(client_image):
    record = json.loads(run(client_image, "version", "--json").stdout)
    assert record["python-monascaclient"] == "2.8.0"
    assert run(client_image, "--version").stdout.strip() == "monasca 2.8.0"


def test_subcommand_without_password_says_so(client_image):
    result = run(client_image, "metric-list")
    assert result.returncode != 0
    assert "OS_PASSWORD" in result.stderr


def test_subcommand_reaches_keystone_from_the_environment(client_image):
    result = run(client_image, "metric-list", env={"OS_PASSWORD": "x",
                                                   "OS_AUTH_URL": "http://127.0.0.1:1/v3"})
    assert result.returncode != 0
    assert "http://127.0.0.1:1/v3" in result.stdout + result.stderr


def test_smoke_retries_an_unreachable_keystone_then_fails_in_one_line(client_image):
    result = run(client_image, "monasca-smoke", "--timeout", "5",
                 env={"OS_PASSWORD": "x", "OS_AUTH_URL": "http://127.0.0.1:1/v3"})
    assert result.returncode == 1
    assert result.stdout.count("not yet: ") >= 2, result.stdout     # tried again while the timeout lasted
    assert "FAIL: Keystone at http://127.0.0.1:1/v3 gave no token within 5 s" in result.stderr
    assert "Traceback" not in result.stderr


def test_programs_on_path_run_as_they_are_with_keystone_defaults(client_image):
    result = run(client_image, "sh", "-c", "id -u; env | grep '^OS_' | sort",
                 env={"OS_TENANT_NAME": "legacy", "OS_DOMAIN_NAME": "dom"})
    lines = result.stdout.split()
    assert lines[0] != "0"
    assert "OS_PROJECT_NAME=legacy" in lines
    assert "OS_USER_DOMAIN_NAME=dom" in lines
    assert "OS_AUTH_URL=http://keystone:5000/v3" in lines
    assert not any(line.startswith("OS_PASSWORD") for line in lines)


def test_no_health_check_for_a_cli(client_image):
    config = json.loads(docker("image", "inspect", client_image).stdout)[0]["Config"]
    assert config["Healthcheck"]["Test"] == ["NONE"]
    assert not any(item.startswith(("OS_PASSWORD=", "MONASCA_HEALTH=")) for item in config["Env"])
