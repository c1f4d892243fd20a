"""The one git runner: output, failures named, a checkout's revision."""
import subprocess

import pytest

from monasca_docker.errors import UserError
from monasca_docker.git import git, revision


@pytest.fixture
def checkout(tmp_path):
    def run(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)
    run("init", "--quiet")
    (tmp_path / "f").write_text("1\n")
    run("add", "f")
    run("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", "first")
    return tmp_path


def test_revision_is_the_commit_and_says_dirty_when_the_tree_changed(checkout):
    sha = git("rev-parse", "HEAD", cwd=checkout)
    assert len(sha) == 40 and revision(checkout) == sha
    (checkout / "f").write_text("2\n")
    assert revision(checkout) == sha + "-dirty"


def test_a_failure_names_the_command_and_gits_complaint(checkout):
    with pytest.raises(UserError, match=r"git rev-parse no-such-ref failed: .*no-such-ref"):
        git("rev-parse", "no-such-ref", cwd=checkout)


def test_a_default_answers_for_a_question_whose_no_is_an_answer(checkout, tmp_path_factory):
    assert git("remote", "get-url", "origin", cwd=checkout, default="") == ""
    with pytest.raises(UserError, match="not a git repository"):
        revision(tmp_path_factory.mktemp("plain-folder"))
    with pytest.raises(UserError, match="No such file or directory"):
        revision(checkout / "missing")
