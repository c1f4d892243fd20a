"""monasca/base: the contract every service image inherits."""
import json
import subprocess
import time
import uuid

from monasca_docker import engine

from ..support import STOP_PROBE
from tests.support import CLI, ROOT, docker


def test_version_names_revision_date_python_and_base(base_image):
    human = docker("run", "--rm", base_image, "version").stdout
    record = json.loads(docker("run", "--rm", base_image, "version", "--json").stdout)
    sha = record["revision"].removesuffix("-dirty")
    assert subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", sha + "^{commit}"]).returncode == 0, \
        f"revision {sha} is not a commit of this checkout"
    assert record["python"].startswith("3.11.")
    assert record["base_name"] == "monasca/debian:bookworm-slim"
    assert record["created"].endswith("Z")
    for value in (record["revision"], record["created"], record["python"], record["base_name"]):
        assert value in human


def test_labels_match_versions_file(base_image):
    labels = engine.image_labels(base_image)
    record = json.loads(docker("run", "--rm", base_image, "version", "--json").stdout)
    oci = "org.opencontainers.image."
    assert labels[oci + "revision"] == record["revision"]
    assert labels[oci + "created"] == record["created"]
    root_id = engine.inspect_image("monasca/debian:bookworm-slim")["Id"]
    assert labels[oci + "base.digest"] == record["base_digest"] == root_id


def test_runs_as_unprivileged_user(base_image):
    assert docker("run", "--rm", base_image, "id", "-u").stdout.strip() not in ("", "0")


def test_runtime_stage_has_no_compiler(base_image):
    result = docker("run", "--rm", base_image, "sh", "-c", "command -v gcc cc || echo none")
    assert result.stdout.strip() == "none"


def test_docker_stop_reaches_the_child_of_a_shell_script(base_image):
    name = f"monasca-test-stop-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, base_image, "sh", "-c", STOP_PROBE)
    try:
        deadline = time.monotonic() + 20
        while "child ready" not in docker("logs", name).stdout:
            assert time.monotonic() < deadline, "child never started"
            time.sleep(0.2)
        started = time.monotonic()
        docker("stop", "--time", "10", name)
        elapsed = time.monotonic() - started
        logs = docker("logs", name).stdout
        assert "child got SIGTERM" in logs and "script done" in logs, logs
        assert elapsed < 2, f"container took {elapsed:.1f}s to stop"
    finally:
        docker("rm", "-f", "-v", name, check=False)


def wait_health(name, want, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        state = json.loads(docker("inspect", name).stdout)[0]["State"]["Health"]
        if state["Status"] == want or time.monotonic() > deadline:
            return state
        time.sleep(0.5)


def test_health_check_without_configuration_is_unhealthy(base_image):
    name = f"monasca-test-health-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, "--health-interval", "1s", "--health-retries", "1", "--health-start-period", "1s",
           base_image, "sleep", "120")
    try:
        state = wait_health(name, "unhealthy")
        assert state["Status"] == "unhealthy"
        assert "MONASCA_HEALTH" in state["Log"][-1]["Output"]
    finally:
        docker("rm", "-f", "-v", name, check=False)


def test_health_check_follows_the_configured_check(base_image):
    name = f"monasca-test-health-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, "--health-interval", "1s", "--health-retries", "1", "--health-start-period", "1s",
           "-e", "MONASCA_HEALTH=process:sleep", base_image, "sleep", "120")
    try:
        assert wait_health(name, "healthy")["Status"] == "healthy"
    finally:
        docker("rm", "-f", "-v", name, check=False)


def test_unchanged_base_is_not_rebuilt(base_image):
    before = engine.inspect_image(base_image)["Id"]
    result = subprocess.run([CLI, "build", "base"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "monasca/base:latest: up to date" in result.stdout
    assert engine.inspect_image(base_image)["Id"] == before
