"""monasca-health: one pass over the checks, exit 0 only if all pass."""

import socket
import ssl
import subprocess
import sys

import pytest


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


@pytest.fixture
def sleeper():
    """A process of our own to find: the check skips its ancestors, pytest among them."""
    marker = "monasca-health-test-sleeper"
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", marker])
    yield marker
    process.kill()
    process.wait()


def test_process_alive(tool, sleeper):
    result = tool("health", f"process:{sleeper}")
    assert result.returncode == 0, result.stdout


def test_process_missing(tool):
    result = tool("health", "process:monasca-health-test-no-such-sleeper")
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


def test_bad_option_is_argparse_usage_error(tool):
    # Options still go through argparse: its usage line and exit status 2.
    result = tool("health", "--timeout", "soon", "tcp://127.0.0.1:1")
    assert result.returncode == 2
    assert "monasca-health: error: argument --timeout: invalid float value: 'soon'" in result.stderr


def imported_modules(tool_environ, *args):
    """The modules one `monasca-health ARGS` run imports, and its result."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "monasca_toolkit.health", *args],
                            capture_output=True, text=True, env=tool_environ, timeout=60)
    names = {line.rpartition("|")[2].strip() for line in result.stderr.splitlines()
             if line.startswith("import time:")}
    return names, result


# What the cheap checks must not load: each costs every HEALTHCHECK run
# milliseconds of CPU, in every container, every few seconds.
HEAVY = {"argparse", "dataclasses", "inspect", "logging", "json", "ssl", "http.client",
         "email", "urllib.request", "kafka", "pymysql", "encodings.idna"}


def test_tcp_and_process_checks_import_no_http_client(tool_environ, sleeper):
    with socket.create_server(("127.0.0.1", 0)) as server:
        names, result = imported_modules(tool_environ, f"tcp://127.0.0.1:{server.getsockname()[1]}",
                                         f"process:{sleeper}")
    assert result.returncode == 0, result.stdout
    assert "monasca_toolkit.targets" in names and "socket" in names     # the list is real
    assert not names & HEAVY, sorted(names & HEAVY)


def test_http_check_imports_http_client_not_urllib_request(tool_environ, http_server):
    http_server.statuses["/healthcheck"] = 200
    names, result = imported_modules(tool_environ, http_server.url("/healthcheck"))
    assert result.returncode == 0, result.stdout
    assert "http.client" in names
    assert not names & {"urllib.request", "argparse", "dataclasses", "logging", "kafka", "pymysql"}


def test_https_certificate_is_verified_unless_insecure(tool, status_server, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    server = status_server()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
    server.statuses["/healthcheck"] = 200
    url = f"https://127.0.0.1:{server.port}/healthcheck"
    try:
        refused = tool("health", url)
        insecure = tool("health", url + "#insecure")
    finally:
        server.close()
    assert refused.returncode == 1
    assert refused.stdout == f"FAILED: {url}: TLS error: CERTIFICATE_VERIFY_FAILED\n"
    assert insecure.returncode == 0, insecure.stdout


def test_http_query_without_path_is_sent_as_slash_query(tool, http_server):
    http_server.statuses["/?ready=1"] = 200
    assert tool("health", f"http://127.0.0.1:{http_server.port}?ready=1").returncode == 0
