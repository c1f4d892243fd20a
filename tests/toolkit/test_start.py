"""monasca-start: render the templates, wait for the dependencies, exec the service."""
import socket

import pytest


@pytest.fixture
def config(tmp_path):
    """An image's /etc/monasca: its own templates and a parent image's."""
    own, parent = tmp_path / "templates", tmp_path / "parent"
    own.mkdir(), parent.mkdir()
    (own / "defaults.yml").write_text("defaults:\n  GREETING: hello\n  PORT: 1\n")
    (own / "service.conf.j2").write_text("{{ GREETING }} {{ NAME }}\n")
    (own / "service.args.j2").write_text("--port\n{{ PORT }}\n--name {{ NAME }}\n")
    (parent / "defaults.yml").write_text("defaults:\n  NAME: parent\n  GREETING: overridden\n")
    (parent / "parent.conf.j2").write_text("{{ NAME }}\n")
    return tmp_path


def start(tool, config, *args, env=None):
    return tool("start", "--config-dir", config, "--templates", config / "parent", *args, env=env)


def test_renders_parent_then_own_templates_and_execs_the_command_with_file_arguments(tool, config):
    result = start(tool, config, "sh", "-c", 'echo "$@"', "service", "@" + str(config / "service.args"),
                   env={"PORT": "8070"})
    assert result.returncode == 0, result.stderr
    assert (config / "service.conf").read_text() == "hello parent\n"      # the image's defaults win
    assert (config / "parent.conf").read_text() == "parent\n"
    assert result.stdout == "--port 8070 --name parent\n"                   # exec'd: the service's output only


def test_a_bad_value_stops_the_start_naming_it(tool, config):
    result = start(tool, config, "true", env={"PORT": "eighty"})
    assert result.returncode != 0
    assert "PORT" in result.stderr


def test_waits_for_what_wait_args_names_before_the_exec(tool, config, free_port):
    (config / "templates" / "wait.args.j2").write_text(f"--timeout=1\n--interval=0.2\ntcp://127.0.0.1:{free_port}\n")
    refused = start(tool, config, "echo", "started")
    assert refused.returncode == 1 and "started" not in refused.stdout
    assert f"tcp://127.0.0.1:{free_port}" in refused.stderr
    with socket.create_server(("127.0.0.1", free_port)):
        result = start(tool, config, "echo", "started")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("started\n")


def test_options_alone_in_wait_args_mean_nothing_to_wait_for(tool, config):
    (config / "templates" / "wait.args.j2").write_text("--timeout=1\n")
    result = start(tool, config)
    assert result.returncode == 0, result.stderr
    assert (config / "service.conf").is_file() and result.stdout == ""
