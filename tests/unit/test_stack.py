"""Where the stack's published ports answer, and how settings are read."""
import pytest

from monasca_docker import stack

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
