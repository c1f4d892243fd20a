"""Helpers shared by the test packages that start servers or containers of their own."""
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).parent / "monasca-docker")


def docker(*args, check=True, **kwargs):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, **kwargs)


def build(*names):
    """Build images with the CLI (a no-op for those whose inputs are unchanged)."""
    result = subprocess.run([CLI, "build", *names], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def wait_healthy(container, timeout=90):
    """Wait until the container's health check passes; fail with its log if it stops or never does."""
    deadline = time.monotonic() + timeout
    state = ["?"]
    while time.monotonic() < deadline:
        state = docker("inspect", "-f", "{{.State.Status}} {{.State.Health.Status}}", container).stdout.split()
        if state == ["running", "healthy"]:
            return
        if state[0] != "running":
            break
        time.sleep(1)
    logs = docker("logs", container, check=False)
    pytest.fail(f"{container} not healthy: {state}\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A shell that does not exec its child, as many start scripts are written.
# The shell ignores SIGTERM, so only tini -g (signalling the whole group)
# can reach the child; the shell then outlives it and says so, which keeps
# tini from exiting and killing the child before its handler has printed.
STOP_PROBE = (
    "trap '' TERM; python3 -c \"import signal, sys, time\n"
    "def stop(*_):\n    print('child got SIGTERM', flush=True); sys.exit(0)\n"
    "signal.signal(signal.SIGTERM, stop)\nprint('child ready', flush=True)\n"
    "time.sleep(300)\n\"; echo script done")


# The users monasca/mysql makes, with passwords for tests (a '$' in thresh's
# checks that it is passed literally).
MYSQL_PASSWORDS = {"MYSQL_ROOT_PASSWORD": "root-pw", "API_PASSWORD": "api-pw", "NOTIFICATION_PASSWORD": "nf-pw",
                   "THRESH_PASSWORD": "th$resh-pw", "KEYSTONE_DB_PASSWORD": "ks-pw"}


def start_mon_database(name, network):
    """monasca/mysql as `mysql` on network, with the schema of monasca-api's own migrations.

    Its port is published on 127.0.0.1 only; returns that port. The caller
    removes the container (`docker rm -f -v`).
    """
    env = [arg for key, value in MYSQL_PASSWORDS.items() for arg in ("-e", f"{key}={value}")]
    docker("run", "-d", "--name", name, "--network", network, "--network-alias", "mysql",
           "--health-interval", "1s", "-p", "127.0.0.1::3306", *env, "monasca/mysql:latest")
    wait_healthy(name, timeout=120)
    url = f"mysql+pymysql://monapi:{MYSQL_PASSWORDS['API_PASSWORD']}@mysql:3306/mon"
    docker("run", "--rm", "--network", network, "-e", f"OS_DATABASE__CONNECTION={url}",
           "monasca/api:latest", "monasca_db", "upgrade", timeout=180)
    return int(docker("port", name, "3306").stdout.splitlines()[0].rsplit(":", 1)[1])


def printed_login(message):
    """The shell lines of `monasca-docker up`'s message that set a host client's OS_* variables."""
    picked, continued = [], False
    for line in message.splitlines():
        if continued or line.lstrip().startswith("export "):
            picked.append(line.strip())
            continued = line.endswith("\\")
    assert picked, f"no export lines in:\n{message}"
    return "\n".join(picked)


def as_printed(root, message, *command, timeout=60):
    """Run command in a shell that ran the message's login lines, with nothing else of
    ours in its environment (no OS_*, no MONASCA_API_URL), from the checkout's root."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home())}
    script = printed_login(message) + '\nexec "$@"'
    return subprocess.run(["sh", "-c", script, "sh", *command], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout)
