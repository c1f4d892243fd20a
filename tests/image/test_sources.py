"""Component sources: a Gerrit change ref served by a real git server on loopback.

The repository is made here from monasca-api's released sdist: a commit
tagged with the release, and a change on top that only a change ref points
to, as Gerrit keeps them. The change carries a marker that must end up in
the image.
"""
import json
import socket
import subprocess
import sys
import tarfile
import time
import uuid

import pytest

from ..support import free_port
from tests.support import CLI, ROOT, docker

CHANGE_REF = "refs/changes/45/12345/2"


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def change_repo(tmp_path_factory):
    """(git URL, change sha, marker) of a monasca-api repository behind `git daemon`."""
    work = tmp_path_factory.mktemp("git")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                    "--dest", str(work), "monasca-api==11.0.0"], check=True)
    with tarfile.open(next(work.glob("monasca-api-11.0.0.tar.gz"))) as sdist:
        sdist.extractall(work, filter="data")
    tree = work / "monasca-api-11.0.0"
    # A real checkout has no PKG-INFO; with one, pbr would take its version.
    (tree / "PKG-INFO").unlink()
    ident = ["-c", "user.name=CI", "-c", "user.email=ci@example.invalid"]
    git("init", "--quiet", "--initial-branch=master", cwd=tree)
    git("add", "--all", cwd=tree)
    git(*ident, "commit", "--quiet", "-m", "monasca-api 11.0.0", cwd=tree)
    git(*ident, "tag", "-a", "11.0.0", "-m", "11.0.0", cwd=tree)
    marker = f"change-marker-{uuid.uuid4().hex}"
    with open(tree / "monasca_api" / "__init__.py", "a") as init:
        init.write(f"\nCHANGE_MARKER = {marker!r}\n")
    git(*ident, "commit", "--quiet", "-am", "A change under review", cwd=tree)
    sha = git("rev-parse", "HEAD", cwd=tree)

    served = work / "served"
    served.mkdir()
    git("clone", "--quiet", "--bare", str(tree), str(served / "monasca-api.git"), cwd=work)
    bare = served / "monasca-api.git"
    git("update-ref", CHANGE_REF, sha, cwd=bare)
    git("update-ref", "refs/heads/master", f"{sha}~1", cwd=bare)   # the change is not merged
    port = free_port()
    daemon = subprocess.Popen(["git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1",
                               f"--port={port}", f"--base-path={served}", str(served)])
    deadline = time.monotonic() + 10
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        assert time.monotonic() < deadline, "git daemon did not start"
        time.sleep(0.1)
    yield f"git://127.0.0.1:{port}/monasca-api.git", sha, marker
    daemon.terminate()
    daemon.wait()


def cli_build(*args):
    return subprocess.run([CLI, "build", *args], cwd=ROOT, capture_output=True, text=True)


def test_change_ref_is_what_gets_built(base_image, change_repo):
    url, sha, marker = change_repo
    tag = f"change-12345-2-{uuid.uuid4().hex[:6]}"
    result = cli_build("api", "--repo", url, "--ref", CHANGE_REF, "--tag", tag)
    assert result.returncode == 0, result.stdout + result.stderr
    image = f"monasca/api:{tag}"
    try:
        seen = docker("run", "--rm", image, "python", "-c",
                      "import monasca_api; print(monasca_api.CHANGE_MARKER)").stdout.strip()
        assert seen == marker
        record = json.loads(docker("run", "--rm", image, "version", "--json").stdout)
        assert record["component_sha"] == sha
        assert record["component_ref"] == CHANGE_REF
        assert record["component_source"] == url
        # pbr computed the version from the tag below the change.
        assert record["monasca-api"].startswith("11.0.1.dev1")
    finally:
        docker("image", "rm", "--force", image, check=False)


def test_ref_that_does_not_exist_is_refused(change_repo):
    url, _, _ = change_repo
    result = cli_build("api", "--repo", url, "--ref", "refs/changes/99/99999/1", "--tag", "never")
    assert result.returncode == 1
    assert "ref 'refs/changes/99/99999/1' does not exist in " + url in result.stderr


def test_version_not_on_pypi_is_refused(base_image):
    result = cli_build("api", "--version", "99.99.99", "--tag", "never")
    assert result.returncode == 1
    assert "monasca-api 99.99.99 is not on PyPI" in result.stderr
    assert docker("image", "inspect", "monasca/api:never", check=False).returncode != 0


def test_source_options_need_exactly_one_image():
    result = cli_build("api", "persister", "--version", "11.0.0")
    assert result.returncode == 1
    assert "apply to one image" in result.stderr


def test_invalid_tag_is_refused():
    result = cli_build("api", "--tag=-bad")
    assert result.returncode == 1
    assert "not a valid tag" in result.stderr
