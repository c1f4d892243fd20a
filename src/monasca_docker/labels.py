"""Build facts of an image: its OCI labels and the /VERSIONS record.

Pure: a function of the catalog entry and the facts of this build.

The OCI keys mean what the image-spec's annotations say: `version` is the
packaged software's (monasca-api 11.0.0), this project's own version is
VERSION_LABEL; `source` and `url` are URLs or nothing. A key with nothing
to say is set empty rather than left out: a build cannot remove a label,
and one left out would show the parent image's value instead.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .catalog import Image

VENDOR = "monasca-docker project"
LICENSES = "Apache-2.0"
INPUTS_LABEL = "org.monasca.build.inputs"
VERSION_LABEL = "org.monasca.build.version"      # this project's version, which built the image
OCI = "org.opencontainers.image."
URL_SCHEMES = ("https", "http", "ssh", "git")
# Build output that never belongs to an image's inputs.
IGNORED_PARTS = {"__pycache__", ".pytest_cache", "build", "dist", ".git"}


@dataclasses.dataclass(frozen=True)
class BuildFacts:
    version: str        # of this project, e.g. 0.1.0
    revision: str       # git sha of this project's checkout, "-dirty" when modified
    created: str        # RFC 3339 UTC
    source: str         # URL of this project's repository (source_url); "" when it has none
    base_name: str      # the parent image reference
    base_digest: str    # the parent image id (sha256:...)
    # The packaged software's release (the component's PyPI version, or the
    # nearest ancestor's for an image that adds no software of its own);
    # "" when no release names it: a git or local build, or Debian's packages.
    component_version: str = ""


def source_url(remote: str) -> str:
    """A git remote as a label may hold it: a URL without credentials, else "".

    A local path, a file:// URL or scp-like `host:path` is no address anyone
    else can fetch from; user and password in a URL are a secret.
    """
    parts = urlsplit(remote.strip())
    if parts.scheme not in URL_SCHEMES or not parts.hostname:
        return ""
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def home_page(source: str) -> str:
    """The project's web page: its repository's http(s) address, less `.git`; else ""."""
    return source.removesuffix(".git") if urlsplit(source).scheme in ("https", "http") else ""


def oci_labels(image: Image, facts: BuildFacts, inputs: str) -> dict[str, str]:
    return {
        OCI + "created": facts.created,
        OCI + "revision": facts.revision,
        OCI + "source": facts.source,
        OCI + "version": facts.component_version,
        OCI + "title": image.title,
        OCI + "description": image.description,
        OCI + "url": home_page(facts.source),
        OCI + "licenses": LICENSES,
        OCI + "vendor": VENDOR,
        OCI + "base.name": facts.base_name,
        OCI + "base.digest": facts.base_digest,
        VERSION_LABEL: facts.version,
        INPUTS_LABEL: inputs,
    }


def versions_record(image: Image, facts: BuildFacts, component: dict[str, str] | None = None) -> str:
    """The JSON that `monasca-version record --json` writes into /VERSIONS.

    `component` holds the facts of the packaged component's source
    (sources.prepare); an image without one records none.
    """
    record = {"image": image.repository, **dataclasses.asdict(facts), **(component or {})}
    return json.dumps(record, sort_keys=True)


def inputs_digest(folder: Path, extra: dict[str, str]) -> str:
    """A digest of everything that decides an image's content.

    Every file of the image folder (path, exec bit, bytes) and `extra`
    (the parent's inputs, build arguments). Two builds with the same
    digest make the same image but for its dates, so the second is skipped.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if IGNORED_PARTS.intersection(rel.parts) or rel.suffix == ".pyc" or \
                any(part.endswith(".egg-info") for part in rel.parts):
            continue
        executable = path.stat().st_mode & 0o111 != 0
        digest.update(f"{rel.as_posix()}\0{int(executable)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(json.dumps(extra, sort_keys=True).encode())
    return "sha256:" + digest.hexdigest()
