"""monasca-health: one pass over the checks, exit 0 only if all pass."""

import socket
import subprocess
import sys


def test_http_ok(tool, http_server):
    http_server.statuses["/healthcheck"] = 200
    result = tool("health", http_server.url("/healthcheck"))
    assert result.returncode == 0, result.stdout
    assert result.stdout == f"ok: {http_server.url('/healthcheck')}\n"


def test_http_failing_status(tool, http_server):
    http_server.statuses["/healthcheck"] = 503
    result = tool("health", http_server.url("/healthcheck"))
    assert result.returncode == 1
    assert result.stdout == f"FAILED: {http_server.url('/healthcheck')}: HTTP 503\n"


def test_http_expected_status(tool, http_server):
    http_server.statuses["/"] = 401
    assert tool("health", http_server.url("/#status=401")).returncode == 0
    assert tool("health", http_server.url("/#status=200,204")).returncode == 1


def test_http_redirect_is_not_followed(tool, http_server):
    http_server.statuses["/moved"] = 302
    result = tool("health", http_server.url("/moved"))
    assert result.returncode == 1 and "HTTP 302" in result.stdout


def test_no_config_is_unhealthy(tool):
    for value in (None, "", "   "):
        result = tool("health", env={"MONASCA_HEALTH": value})
        assert result.returncode == 1
        assert "no health check configured: set MONASCA_HEALTH or pass checks" in result.stderr


def test_checks_from_environment_all_must_pass(tool, http_server):
    http_server.statuses.update({"/a": 200, "/b": 500})
    ok = f"{http_server.url('/a')} tcp://127.0.0.1:{http_server.port}"
    assert tool("health", env={"MONASCA_HEALTH": ok}).returncode == 0
    result = tool("health", env={"MONASCA_HEALTH": f"{ok} {http_server.url('/b')}"})
    assert result.returncode == 1
    assert result.stdout.count("ok: ") == 2 and "FAILED: " in result.stdout


def test_tcp(tool, free_port):
    with socket.create_server(("127.0.0.1", 0)) as server:
        assert tool("health", f"tcp://127.0.0.1:{server.getsockname()[1]}").returncode == 0
    result = tool("health", f"tcp://127.0.0.1:{free_port}")
    assert result.returncode == 1 and "connection refused" in result.stdout


def test_process_alive_and_missing(tool):
    marker = "monasca-health-test-sleeper"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    try:
        result = tool("health", f"process:{marker}")
        assert result.returncode == 0, result.stdout
    finally:
        sleeper.kill()
        sleeper.wait()
    result = tool("health", f"process:{marker}")
    assert result.returncode == 1 and "no such process" in result.stdout


def test_process_check_does_not_match_its_own_shell(tool_environ):
    # HEALTHCHECK CMD in shell form runs `sh -c "monasca-health process:X"`:
    # that shell's command line names X but is not the service. (`; exit`
    # keeps the shell from exec'ing the command and leaving the picture.)
    command = f"{sys.executable} -m monasca_toolkit.health process:no-such-daemon-xyz; exit $?"
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True,
                            env=tool_environ)
    assert result.returncode == 1 and "no such process" in result.stdout


def test_short_timeout(tool):
    # The kernel accepts the connection but nobody ever answers the request.
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        result = tool("health", "--timeout", "0.5", f"http://127.0.0.1:{port}/")
    assert result.returncode == 1 and "timed out" in result.stdout
