"""Where the stack's published ports answer, and how settings are read."""
import pytest

from monasca_docker import stack
from tests.support import as_printed

PORTS = {"MONASCA_API_PORT": "18070", "KEYSTONE_PORT": "15000", "MONASCA_LOG_API_PORT": "15607"}


@pytest.mark.parametrize("docker_host, bind, host", [
    ("", "127.0.0.1", "127.0.0.1"),
    ("unix:///run/docker.sock", "0.0.0.0", "127.0.0.1"),
    ("", "192.0.2.7", "192.0.2.7"),
    ("tcp://172.30.0.2:2375", "0.0.0.0", "172.30.0.2"),
    ("ssh://ops@engine.example", "127.0.0.1", "engine.example"),
])
def test_endpoints_follow_the_engine_and_the_bind_address(monkeypatch, docker_host, bind, host):
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    urls = stack.endpoints({**PORTS, "MONASCA_BIND": bind})
    assert urls == {"api": f"http://{host}:18070/v2.0", "keystone": f"http://{host}:15000/v3",
                    "log_api": f"http://{host}:15607/v2.0"}


def test_the_shell_environment_overrides_the_env_file(tmp_path, monkeypatch):
    folder = tmp_path / stack.COMPOSE_DIR
    folder.mkdir(parents=True)
    (folder / stack.ENV_FILE).write_text("# a comment\nMONASCA_BIND=127.0.0.1\nKEYSTONE_PORT=5000\n")
    monkeypatch.setenv("MONASCA_BIND", "0.0.0.0")
    assert stack.env_values(tmp_path) == {"MONASCA_BIND": "0.0.0.0", "KEYSTONE_PORT": "5000"}


def test_settings_the_example_gained_are_added_to_an_existing_env_file(tmp_path):
    """A new password (a service user's, say) is generated into monasca.env; nothing there changes."""
    folder = tmp_path / stack.COMPOSE_DIR
    folder.mkdir(parents=True)
    (folder / stack.ENV_EXAMPLE).write_text("# passwords\nOLD_PASSWORD=generate\nNEW_PASSWORD=generate\nPORT=1\n")
    (folder / stack.ENV_FILE).write_text("OLD_PASSWORD=mine\nPORT=2")
    values = stack.env_values(tmp_path)
    assert values["OLD_PASSWORD"] == "mine" and values["PORT"] == "2"
    assert len(values["NEW_PASSWORD"]) >= 20 and values["NEW_PASSWORD"] != "generate"
    assert stack.env_values(tmp_path) == values          # added once, kept after


@pytest.mark.parametrize("docker_host, bind, host", [
    ("", "::", "127.0.0.1"),
    ("", "::1", "[::1]"),
    ("tcp://[2001:db8::2]:2375", "0.0.0.0", "[2001:db8::2]"),
])
def test_public_host_is_a_url_host_part(monkeypatch, docker_host, bind, host):
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    assert stack.public_host({"MONASCA_BIND": bind}) == host


def test_the_printed_login_gives_a_host_client_everything_it_needs(tmp_path, monkeypatch):
    """The export lines of `up`'s message, run by a shell: the public Keystone
    URL, the public interface and the user's password read from monasca.env."""
    monkeypatch.setenv("DOCKER_HOST", "")
    folder = tmp_path / stack.COMPOSE_DIR
    folder.mkdir(parents=True)
    (folder / stack.ENV_FILE).write_text("MONASCA_BIND=192.0.2.7\nKEYSTONE_PORT=15000\n"
                                         "MONASCA_USER_PASSWORD=pw-from_the.file\n")
    values = stack.env_values(tmp_path)
    message = stack.ready_message(tmp_path, values)
    assert "pw-from_the.file" not in message           # no password in the output
    result = as_printed(tmp_path, message, "env")
    assert result.returncode == 0, result.stderr
    env = dict(line.split("=", 1) for line in result.stdout.splitlines() if line.startswith("OS_"))
    assert env == {"OS_AUTH_URL": "http://192.0.2.7:15000/v3", "OS_INTERFACE": "public",
                   "OS_USERNAME": "mini-mon", "OS_PROJECT_NAME": "mini-mon", "OS_USER_DOMAIN_NAME": "Default",
                   "OS_PROJECT_DOMAIN_NAME": "Default", "OS_PASSWORD": "pw-from_the.file"}
