"""Where a component's code comes from: a PyPI release, a git ref, a local checkout.

`prepare` writes the `source/` folder of a build context, the same for every
kind, so that the Dockerfiles need one code path:

    source/requirements.txt  what pip installs (the component and its packages)
    source/constraints.txt   the series lock file, less the component itself
    source/source.json       the facts recorded in the image
    source/component/        the checkout, for git and local sources
"""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .catalog import Image
from .errors import UserError
from .git import git, revision

PYPI_URL = "https://pypi.org/project/{}/"


@dataclasses.dataclass(frozen=True)
class Source:
    kind: str                 # "pypi", "git" or "local"
    version: str | None = None
    repo: str | None = None
    ref: str | None = None
    path: Path | None = None


def choose(image: Image, *, version=None, repo=None, ref=None, local=None) -> Source:
    """The source that the command line asks for, else the catalog's release."""
    if sum(x is not None for x in (version, ref, local)) > 1:
        raise UserError("give one of --version, --ref and --local")
    if local is not None:
        return Source("local", path=Path(local))
    if ref is not None or repo is not None:
        repo = repo or image.git
        if not ref:
            raise UserError(f"--repo {repo} needs --ref (a branch, tag, sha or refs/changes/NN/NNNNN/P)")
        return Source("git", repo=repo, ref=ref)
    return Source("pypi", version=version or image.version)


def lock_path(root: Path, image: Image) -> Path:
    return root / "locks" / image.series / f"{image.name}.txt"


def constraints(lock_text: str, component: str) -> str:
    """The lock less the component's own pin, which a git build must not meet."""
    own = canonicalize_name(component)
    return "".join(line + "\n" for line in pins(lock_text) if pinned_name(line) != own)


def pins(text: str) -> list[str]:
    """The requirement lines of a lock or constraints file, comments and blanks left out."""
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def pinned_name(line: str) -> str:
    """The canonical distribution name of a requirement line (oslo.config -> oslo-config)."""
    try:
        return canonicalize_name(Requirement(line).name)
    except InvalidRequirement:
        raise UserError(f"not a requirement: {line!r}; regenerate the lock "
                        f"with `monasca-docker lock`") from None


def requirements(image: Image, source: Source) -> list[str]:
    target = (f"{image.component}=={source.version}" if source.kind == "pypi"
              else "./component")
    return [target, *image.packages]


def prepare(image: Image, source: Source, root: Path, dest: Path) -> dict[str, str]:
    """Write dest (the context's source/ folder); return the facts to record."""
    dest.mkdir(parents=True)
    lock = lock_path(root, image)
    if not lock.is_file():
        raise UserError(f"no lock file {lock.relative_to(root)}: run `monasca-docker lock {image.name}`")
    facts = {"component": image.component, "component_source": PYPI_URL.format(image.component)}
    if source.kind == "git":
        facts.update(component_source=source.repo, component_ref=source.ref,
                     component_sha=fetchgit(source.repo, source.ref, dest / "component"))
    elif source.kind == "local":
        facts.update(component_source=f"local checkout {source.path}",
                     component_sha=copy_checkout(source.path, dest / "component"))
    (dest / "requirements.txt").write_text("\n".join(requirements(image, source)) + "\n")
    (dest / "constraints.txt").write_text(constraints(lock.read_text(), image.component))
    (dest / "source.json").write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n")
    return facts


def check_release(image: Image, source: Source) -> None:
    """Refuse a version PyPI does not have, before a long build finds out."""
    if source.kind != "pypi":
        return
    component, version = image.component, source.version
    with tempfile.TemporaryDirectory(prefix="monasca-release-") as scratch:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", scratch,
             f"{component}=={version}"],
            capture_output=True, text=True)
    if result.returncode != 0:
        raise UserError(f"{component} {version} is not on PyPI "
                        f"(pip: {(result.stderr.strip().splitlines() or ['?'])[-1]}); "
                        f"pick a released version or build from git with --ref")


def fetchgit(repo: str, ref: str, dest: Path) -> str:
    """Check out repo at ref (branch, tag, sha or change ref) into dest; return the sha.

    The clone keeps tags and history so that pbr can compute the version.
    """
    try:
        git("clone", "--quiet", "--no-checkout", repo, str(dest))
    except UserError as exc:
        raise UserError(f"cannot clone {repo}: {exc}") from None
    try:
        git("fetch", "--quiet", "origin", ref, cwd=dest)
        commit = "FETCH_HEAD"
    except UserError:
        # A server may refuse to serve a bare sha; the clone may hold it already.
        commit = ref
        if git("cat-file", "-e", f"{ref}^{{commit}}", cwd=dest, default=None) is None:
            raise UserError(f"ref {ref!r} does not exist in {repo}: give a branch, tag, "
                            f"full sha or refs/changes/NN/NNNNN/P that the server has") from None
    git("checkout", "--quiet", "--detach", commit, cwd=dest)
    return git("rev-parse", "HEAD", cwd=dest)


def copy_checkout(path: Path, dest: Path) -> str:
    """Copy a working tree as it is (uncommitted changes included); return its sha."""
    if not (path / ".git").exists():
        raise UserError(f"--local {path} is not a git checkout (no .git)")
    shutil.copytree(path, dest, symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".tox", "*.egg-info"))
    return revision(path)
