"""The one git runner: output, failures named, a checkout's revision; what an image's revision
label must name for a build to reuse the image."""
import subprocess
from pathlib import Path

import pytest

from monasca_docker import build
from monasca_docker.errors import UserError
from monasca_docker.git import git, has_commit, revision
from monasca_docker.labels import INPUTS_LABEL, OCI


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


def test_an_image_is_reused_only_when_its_revision_is_a_commit_of_this_checkout(checkout):
    sha = git("rev-parse", "HEAD", cwd=checkout)
    elsewhere = "2196396194c7fc1fc495bcd65bd6fc54e8015c29"     # a commit of another clone
    assert has_commit(checkout, sha) and not has_commit(checkout, elsewhere) and not has_commit(checkout, "")
    setting = build.Setting(checkout, {}, build.Options(names=[]), Path("ca"), revision(checkout), "", Path("logs"))
    labels = {INPUTS_LABEL: "sha256:in", OCI + "revision": sha}
    assert build._up_to_date(labels, "sha256:in", setting)
    assert build._up_to_date({**labels, OCI + "revision": sha + "-dirty"}, "sha256:in", setting)
    assert not build._up_to_date(labels, "sha256:other", setting)
    assert not build._up_to_date({**labels, OCI + "revision": elsewhere}, "sha256:in", setting)
    outside = build.Setting(checkout, {}, build.Options(names=[]), Path("ca"), build.NO_CHECKOUT, "", Path("logs"))
    assert build._up_to_date({**labels, OCI + "revision": elsewhere}, "sha256:in", outside)
