"""Every image the change's plan names builds, and the stack passes its
smoke test, on every engine of engines.toml.

The host's engine is tested by the rest of the suite; the others run as
Docker-in-Docker (scripts/engine-dind), each started fresh. What each
builds (tests/engines/suites.toml): every image, from an empty cache,
outside CI or when the change touches its `whole_catalog` paths (the
engines, the build tool); else the images whose inputs the change touches:
those it changes and what is built from them (an api change: api). The
other images, which those are built on and the smoke test's stack needs,
come from this host's engine, where CI built them from the same inputs:
one `docker save` at the start, a `docker load` an engine. An image whose
inputs did not change built on every engine when they last changed.
"""
import json
import os
import subprocess
import time
import tomllib

import pytest

from monasca_docker import catalog, plan, suites

from .. import support
from ..support import CLI, ROOT, STOP_PROBE

ENGINES = tomllib.loads((ROOT / "engines.toml").read_text())["engines"]
DIND = sorted(suite for suite, engine in ENGINES.items() if engine["mode"] == "dind")
IMAGES = catalog.load(ROOT)


def to_build():
    """The catalog names each engine builds itself."""
    if "MONASCA_CHANGED" not in os.environ:
        return set(IMAGES)
    changed = os.environ["MONASCA_CHANGED"].split("\n")
    whole_catalog = suites.load(ROOT)["tests/engines/test_engines.py"].whole_catalog
    if any(path.startswith(whole_catalog) for path in changed):
        return set(IMAGES)
    return set(plan.rebuilt(IMAGES, changed))


@pytest.fixture(scope="module")
def from_host(tmp_path_factory):
    """(references, archive): what each engine loads from this host, not building it (built here
    if missing), saved once at the start, so a test of the other lane that rebuilds one changes nothing."""
    names = sorted(set(IMAGES) - to_build())
    if not names:
        yield [], None
        return
    support.build(*names)
    refs = [IMAGES[name].ref for name in names]
    archive = tmp_path_factory.mktemp("from-host") / "images.tar"
    support.docker("save", "--output", str(archive), *refs)
    yield refs, archive
    archive.unlink()


def release(version):
    return tuple(int(part) for part in version.split("."))


def test_the_host_the_two_newest_debian_engines_and_the_current_docker_are_supported():
    assert [e["mode"] for e in ENGINES.values()].count("host") == 1
    debian = [release(e["version"]) for e in ENGINES.values() if "module" not in e]
    built = [release(e["version"]) for e in ENGINES.values() if "module" in e]
    assert len(debian) == 3 and len(built) == 1, ENGINES
    # the current release is newer than any Debian ships
    assert built[0][:2] > max(debian), ENGINES


@pytest.fixture(scope="module", params=DIND)
def engine(request, from_host):
    """(suite, environment) for the CLI and docker to use that engine, holding the
    images it does not build; the stack publishes on it."""
    suite = request.param
    started = subprocess.run([str(ROOT / "scripts" / "engine-dind"), suite], capture_output=True, text=True)
    assert started.returncode == 0, started.stderr
    env = {**os.environ, "DOCKER_HOST": started.stdout.strip(), "MONASCA_BIND": "0.0.0.0"}
    refs, archive = from_host
    if refs:
        loaded = docker(env, "load", "--quiet", "--input", str(archive))
        assert loaded.returncode == 0, loaded.stderr
    yield suite, env
    subprocess.run([str(ROOT / "scripts" / "engine-dind"), "--stop", suite], capture_output=True)


def docker(env, *args):
    return support.docker(*args, env=env, check=False, timeout=600)


def cli(env, *args):
    result = subprocess.run([CLI, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"monasca-docker {' '.join(args)}:\n{result.stdout[-4000:]}{result.stderr[-4000:]}"
    return result


def test_engine_is_the_listed_version(engine):
    suite, env = engine
    version = docker(env, "version", "--format", "{{.Server.Version}}").stdout.strip()
    # "26.1" lists Debian's 26.1.x; a release built from moby's module is listed whole
    assert f"{version}.".startswith(ENGINES[suite]["version"] + "."), version


def test_the_images_the_change_rebuilds_build_there(engine, from_host):
    suite, env = engine
    printed = cli(env, "build").stdout
    built = {line.split(": built in")[0] for line in printed.splitlines() if ": built in" in line}
    assert built == {image.ref for image in IMAGES.values()} - set(from_host[0]), printed
    missing = [image.ref for image in IMAGES.values() if docker(env, "image", "inspect", image.ref).returncode != 0]
    assert not missing, f"not on the {suite} engine after the build: {missing}"


def test_base_keeps_its_contract(engine):
    suite, env = engine
    record = json.loads(docker(env, "run", "--rm", "monasca/base", "version", "--json").stdout)
    assert record["python"].startswith("3.11.")
    assert docker(env, "run", "--rm", "monasca/base", "id", "-u").stdout.strip() not in ("", "0")
    # tini -g still delivers docker stop's SIGTERM to a shell script's child.
    name = f"engine-stop-{suite}"
    docker(env, "run", "-d", "--name", name, "monasca/base", "sh", "-c", STOP_PROBE)
    try:
        for _ in range(40):
            if "child ready" in docker(env, "logs", name).stdout:
                break
            time.sleep(0.25)
        assert docker(env, "stop", "--time", "10", name).returncode == 0
        logs = docker(env, "logs", name).stdout
        assert "child got SIGTERM" in logs and "script done" in logs, logs
    finally:
        docker(env, "rm", "-f", name)


def test_stack_passes_the_smoke_test(engine):
    suite, env = engine
    cli(env, "up")
    # Docker 25 and later check a starting service every 2 s (stack.start_checks), then every 30 s.
    check = json.loads(docker(env, "inspect", "--format", "{{json .Config.Healthcheck}}", "monasca-api-1").stdout)
    assert (check["Interval"], check.get("StartInterval")) == (30 * 10**9, 2 * 10**9), check
    cli(env, "smoke")
