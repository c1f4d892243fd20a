"""Every Dockerfile passes hadolint with the project's configuration."""
import pytest

from monasca_docker import lint

from ..support import ROOT

DOCKERFILES = sorted(ROOT.glob("images/*/Dockerfile"))


def test_there_are_dockerfiles_to_lint():
    assert len(DOCKERFILES) >= 2


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_hadolint_clean(dockerfile):
    assert lint.hadolint(ROOT, dockerfile) == []


def test_hadolint_config_is_in_force(tmp_path):
    """The config must not silence everything: a bad Dockerfile still fails."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get update && apt-get install -y curl\n")
    found = " ".join(lint.hadolint(ROOT, bad))
    assert "DL3015" in found or "DL3009" in found
