import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
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


@pytest.fixture(scope="session")
def base_image():
    """monasca/base, built by the CLI (a no-op when its inputs are unchanged)."""
    build("base")
    return "monasca/base:latest"
