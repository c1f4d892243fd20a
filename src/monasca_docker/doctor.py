"""`monasca-docker doctor`: is this machine ready to build?"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from . import catalog, engine
from .build import find_ca_bundle
from .errors import UserError

HTTPS_PROBE_URL = "https://pypi.org/simple/pip/"
MIN_FREE_GIB = 10
PROBE_TAG = "monasca-docker-doctor:https-probe"


def https_in_build(image_ref: str, ca_bundle: Path) -> tuple[bool, str]:
    """Build a throwaway image that fetches a PyPI page over HTTPS."""
    dockerfile = (
        f"FROM {image_ref}\n"
        "USER root\n"  # secrets are mounted readable by root only
        "RUN --mount=type=secret,id=ca-bundle,target=/run/secrets/ca-bundle \\\n"
        "    python3 -c \"import ssl, urllib.request; urllib.request.urlopen("
        f"'{HTTPS_PROBE_URL}', timeout=20, "
        "context=ssl.create_default_context(cafile='/run/secrets/ca-bundle'))\"\n")
    with tempfile.TemporaryDirectory() as context, \
            tempfile.NamedTemporaryFile("w", suffix=".log") as log:
        Path(context, "Dockerfile").write_text(dockerfile)
        try:
            engine.build(Path(context), PROBE_TAG, build_args={}, labels={},
                         secrets={"ca-bundle": ca_bundle}, no_cache=True, log=log)
        except UserError as exc:
            return False, str(exc).splitlines()[-1].strip()
        finally:
            engine.remove_image(PROBE_TAG)
    return True, f"{HTTPS_PROBE_URL} reached from inside a build"


def run(ca_bundle: Path | None) -> int:
    problems = 0

    def report(ok: bool, detail: str, what: str):
        nonlocal problems
        problems += not ok
        print(f"{'ok ' if ok else 'BAD'} {what:<16} {detail}")

    versions = engine.versions()
    for part in ("engine", "client", "compose", "buildx"):
        fix = "" if versions[part] != "missing" else f"  ({engine.SETUP_HINT})"
        report(versions[part] != "missing", versions[part] + fix, part)
    if versions["engine"] == "missing":
        return 1

    free_gib = shutil.disk_usage(engine.root_dir()).free / 2**30
    report(free_gib >= MIN_FREE_GIB, f"{free_gib:.1f} GiB free for images (want {MIN_FREE_GIB})", "disk")

    try:
        bundle = find_ca_bundle(ca_bundle)
        report(True, str(bundle), "ca bundle")
    except UserError as exc:
        report(False, str(exc), "ca bundle")
        return 1
    base = catalog.load()["base"].ref
    if engine.inspect_image(base) is None:
        print(f"--  {'https in build':<16} not checked: needs {base} (monasca-docker build base)")
    else:
        report(*https_in_build(base, bundle), what="https in build")
    return 1 if problems else 0
