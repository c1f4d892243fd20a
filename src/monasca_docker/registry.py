"""Promotion with skopeo (Debian's package): copy the tested manifest, by digest, to new tags.

The registry gets the same manifest bytes under more names: nothing is
rebuilt or pushed again, and the digest stays the same. skopeo finds
credentials itself, as the docker CLI stores them: $DOCKER_CONFIG (else
~/.docker)/config.json, Docker Hub's `https://index.docker.io/v1/` key and
`credHelpers`. It does not read `credsStore`; the error says so.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from .errors import UserError

USER_VAR, PASSWORD_VAR = "MONASCA_REGISTRY_USER", "MONASCA_REGISTRY_PASSWORD"
# Loopback registries speak plain HTTP, as the engine assumes too.
LOOPBACK = re.compile(r"(127\.\d+\.\d+\.\d+|localhost)(:\d+)?")
PLAIN_HTTP = {"inspect": ["--tls-verify=false"], "copy": ["--src-tls-verify=false", "--dest-tls-verify=false"]}
WAY_OUT = f"{USER_VAR}/{PASSWORD_VAR}, `docker login {{}}` or a credHelpers entry"


def _skopeo(registry: str, config: Path | None, *args: str) -> bytes:
    """Run skopeo on registry with the credentials of config (a DOCKER_CONFIG folder) or the user's."""
    if shutil.which("skopeo") is None:
        raise UserError("skopeo is not installed: run scripts/bootstrap (apt-get install skopeo)")
    options = ["--authfile", str(config / "config.json")] if config else []
    if LOOPBACK.fullmatch(registry):
        options += PLAIN_HTTP[args[0]]
    command = ["skopeo", args[0], *options, *args[1:]]
    result = subprocess.run(command, capture_output=True)
    if result.returncode != 0:
        raise UserError(_explain(registry, result.stderr.decode(errors="replace"), config))
    return result.stdout


def _explain(registry: str, stderr: str, config: Path | None) -> str:
    """skopeo's failure in words that name the way out."""
    detail = (stderr.strip().splitlines() or ["no output"])[-1]
    if re.search(r"unauthorized|authentication required|invalid username|denied|not logged in", detail, re.I):
        store = "" if config else _creds_store()
        return (f"{registry} refused the credentials ({WAY_OUT.format(registry)})"
                + (f"; skopeo does not read the credsStore {store!r} of the Docker config" if store else ""))
    if re.search(r"manifest unknown|not found", detail, re.I):
        return f"{registry}: no such image ({detail}); give a tag or digest that was published"
    if re.search(r"connection refused|no such host|i/o timeout|dial tcp", detail, re.I):
        return f"registry {registry} is unreachable ({detail})"
    return f"skopeo failed on {registry}: {detail}"


def _creds_store() -> str:
    config = Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker")) / "config.json"
    try:
        return json.loads(config.read_text()).get("credsStore", "")
    except (OSError, ValueError, AttributeError):
        return ""


def digest(registry: str, repository: str, reference: str, config: Path | None = None) -> str:
    """The digest of the manifest a tag or digest names: the sha256 of its bytes."""
    separator = "@" if reference.startswith("sha256:") else ":"
    raw = _skopeo(registry, config, "inspect", "--raw", f"docker://{registry}/{repository}{separator}{reference}")
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def promote(registry: str, repository: str, source: str, tags: tuple[str, ...],
            config: Path | None = None) -> str:
    """Point each of tags at the manifest of source (a tag or digest); return its digest.

    The source is resolved once, so every tag gets the same manifest even if
    the source tag moves meanwhile.
    """
    pinned = digest(registry, repository, source, config)
    for tag in tags:
        _skopeo(registry, config, "copy", "--all", "--preserve-digests", "--quiet",
                f"docker://{registry}/{repository}@{pinned}", f"docker://{registry}/{repository}:{tag}")
        if digest(registry, repository, tag, config) != pinned:
            raise UserError(f"{registry}/{repository}:{tag} got another digest than {pinned}")
    return pinned
