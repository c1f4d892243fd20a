import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).parent / "monasca-docker")


def docker(*args, check=True, **kwargs):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, **kwargs)


@pytest.fixture(scope="session")
def base_image():
    """monasca/base, built by the CLI (a no-op when its inputs are unchanged)."""
    result = subprocess.run([CLI, "build", "base"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return "monasca/base:latest"
