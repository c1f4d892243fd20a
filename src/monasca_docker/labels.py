"""Build facts of an image: its OCI labels and the /VERSIONS record.

Pure: a function of the catalog entry and the facts of this build.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from .catalog import Image

PROJECT_URL = "https://github.com/monasca/monasca-docker"
VENDOR = "monasca-docker project"
LICENSES = "Apache-2.0"
INPUTS_LABEL = "org.monasca.build.inputs"
# Build output that never belongs to an image's inputs.
IGNORED_PARTS = {"__pycache__", ".pytest_cache", "build", "dist", ".git"}


@dataclasses.dataclass(frozen=True)
class BuildFacts:
    version: str        # of this project, e.g. 0.1.0
    revision: str       # git sha of this project's checkout, "-dirty" when modified
    created: str        # RFC 3339 UTC
    source: str         # where this project's code lives
    base_name: str      # the parent image reference
    base_digest: str    # the parent image id (sha256:...)


def oci_labels(image: Image, facts: BuildFacts, inputs: str) -> dict[str, str]:
    oci = "org.opencontainers.image."
    return {
        oci + "created": facts.created,
        oci + "revision": facts.revision,
        oci + "source": facts.source,
        oci + "version": facts.version,
        oci + "title": image.title,
        oci + "description": image.description,
        oci + "url": PROJECT_URL,
        oci + "licenses": LICENSES,
        oci + "vendor": VENDOR,
        oci + "base.name": facts.base_name,
        oci + "base.digest": facts.base_digest,
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
