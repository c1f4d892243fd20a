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
