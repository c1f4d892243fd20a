"""The one way this tool runs git: in a given folder, output stripped, a
failure a UserError naming the command and git's own complaint."""
from __future__ import annotations

import subprocess
from pathlib import Path

from .errors import UserError

_FAIL = object()


def git(*args: str, cwd: Path | None = None, default=_FAIL) -> str:
    """git's standard output; on failure `default` when one is given (a
    question whose 'no' is an answer: no remote, not a checkout), else a UserError."""
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError as missing:        # no git, or no such folder
        raise UserError(f"git {' '.join(args)}: {missing}") from None
    if result.returncode == 0:
        return result.stdout.strip()
    if default is not _FAIL:
        return default
    raise UserError(f"git {' '.join(args)} failed: {result.stderr.strip()}")


def revision(path: Path) -> str:
    """The checkout's commit, with -dirty when it has uncommitted changes."""
    sha = git("rev-parse", "HEAD", cwd=path)
    return sha + "-dirty" if git("status", "--porcelain", cwd=path) else sha


def has_commit(path: Path, sha: str) -> bool:
    """Whether the checkout at path has the commit sha."""
    return bool(sha) and git("cat-file", "-e", sha + "^{commit}", cwd=path, default=None) is not None
