"""Publishing and promotion against a real registry on loopback."""
import base64
import json
import os
import subprocess

import pytest

from monasca_docker import engine, registry

from ..support import docker
from .conftest import PASSWORD, USER, run_cli

SHA = "89abcdef0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def base_built():
    result = run_cli("build", "base", creds=False)
    assert result.returncode == 0, result.stderr
    return engine.inspect_image("monasca/base:latest")


def pushed(output):
    """{target: digest} of the CLI's publish output."""
    return dict(line.split() for line in output.splitlines() if line.count(" ") == 1 and "sha256:" in line)


@pytest.fixture(scope="module")
def logged_in(loopback_registry, tmp_path_factory):
    """A DOCKER_CONFIG folder logged in to the loopback registry."""
    config = tmp_path_factory.mktemp("docker-config")
    engine.login(loopback_registry, USER, PASSWORD, config=config)
    return config


def remote_digest(where, tag, config):
    return registry.digest(where, "ns/base", tag, config)


def test_push_without_credentials_is_refused_and_leaves_no_local_tag(loopback_registry, base_built, tmp_path):
    result = run_cli("publish", "base", "--event", "merge", "--ref", "master", "--sha", SHA,
                     "--date", "2026-11-24", "--registry", loopback_registry, "--namespace", "ns",
                     creds=False, env={"DOCKER_CONFIG": str(tmp_path)})
    assert result.returncode == 1
    assert "was refused" in result.stderr
    assert "MONASCA_REGISTRY_USER" in result.stderr
    for tag in ("master", "master-20261124-89abcde"):
        assert engine.inspect_image(f"{loopback_registry}/ns/base:{tag}") is None, tag
    assert engine.inspect_image("monasca/base:latest")["Id"] == base_built["Id"]


def test_merge_publishes_master_and_the_immutable_tag(loopback_registry, base_built, logged_in):
    result = run_cli("publish", "base", "--event", "merge", "--ref", "master", "--sha", SHA,
                     "--date", "2026-11-25", "--registry", loopback_registry, "--namespace", "ns")
    assert result.returncode == 0, result.stderr
    targets = pushed(result.stdout)
    assert set(targets) == {f"{loopback_registry}/ns/base:master",
                            f"{loopback_registry}/ns/base:master-20261125-89abcde"}
    assert len(set(targets.values())) == 1
    assert PASSWORD not in result.stdout + result.stderr

    # Pulled back: the same digest and the same labels.
    pulled = f"{loopback_registry}/ns/base:master-20261125-89abcde"
    engine.remove_image(pulled)
    docker("pull", pulled, env={**os.environ, "DOCKER_CONFIG": str(logged_in)})
    info = engine.inspect_image(pulled)
    assert f"{loopback_registry}/ns/base@{targets[pulled]}" in info["RepoDigests"]
    assert info["Config"]["Labels"] == base_built["Config"]["Labels"]


def test_release_tag_and_promotion_keep_the_digest(loopback_registry, base_built, logged_in):
    result = run_cli("publish", "base", "--event", "tag", "--ref", "0.1.0",
                     "--registry", loopback_registry, "--namespace", "ns")
    assert result.returncode == 0, result.stderr
    tagged = pushed(result.stdout)
    assert f"{loopback_registry}/ns/base:0.1.0" in tagged

    result = run_cli("publish", "base", "--event", "release", "--ref", "bobcat", "--from", "0.1.0",
                     "--registry", loopback_registry, "--namespace", "ns")
    assert result.returncode == 0, result.stderr
    promoted = pushed(result.stdout)
    assert set(promoted) == {f"{loopback_registry}/ns/base:2023.2", f"{loopback_registry}/ns/base:bobcat"}
    digest = tagged[f"{loopback_registry}/ns/base:0.1.0"]
    assert set(promoted.values()) == {digest}
    assert remote_digest(loopback_registry, "bobcat", logged_in) == \
        remote_digest(loopback_registry, "0.1.0", logged_in) == digest


def test_promotion_by_digest_with_a_credential_helper(loopback_registry, base_built, logged_in, tmp_path):
    """The user's Docker config names a helper for the registry; no credentials in the environment."""
    digest = remote_digest(loopback_registry, "0.1.0", logged_in)
    helper = tmp_path / "bin" / "docker-credential-monasca-test"
    helper.parent.mkdir()
    helper.write_text("#!/bin/sh\nread -r server\necho \"$server\" >> \"$0.asked\"\n"
                      f"printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$server\"\n")
    helper.chmod(0o700)
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.json").write_text(json.dumps({"credHelpers": {loopback_registry: "monasca-test"}}))
    result = run_cli("publish", "base", "--event", "release", "--ref", "dalmatian", "--from", digest,
                     "--registry", loopback_registry, "--namespace", "ns", creds=False,
                     env={"DOCKER_CONFIG": str(config), "PATH": f"{helper.parent}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert set(pushed(result.stdout).values()) == {digest}
    assert remote_digest(loopback_registry, "dalmatian", logged_in) == digest
    assert loopback_registry in (tmp_path / "bin" / "docker-credential-monasca-test.asked").read_text()


def test_skopeo_reads_docker_hubs_key_from_the_docker_config(tmp_path):
    """`docker login` keeps Docker Hub's credentials under https://index.docker.io/v1/, not docker.io."""
    auth = base64.b64encode(b"hub-user:hub-secret").decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": auth}}}))
    result = subprocess.run(["skopeo", "login", "--get-login", "docker.io"], capture_output=True, text=True,
                            env={**os.environ, "DOCKER_CONFIG": str(tmp_path), "REGISTRY_AUTH_FILE": ""})
    assert result.stdout.strip() == "hub-user", result.stderr


def test_promotion_of_a_tag_that_was_never_published_is_a_clear_error(loopback_registry, base_built):
    result = run_cli("publish", "base", "--event", "release", "--ref", "2024.1", "--from", "no-such-tag",
                     "--registry", loopback_registry, "--namespace", "ns")
    assert result.returncode == 1
    assert "no such image" in result.stderr and "give a tag or digest that was published" in result.stderr


def test_promotion_needs_the_tested_reference(loopback_registry):
    result = run_cli("publish", "base", "--event", "release", "--ref", "2023.2",
                     "--registry", loopback_registry, "--namespace", "ns")
    assert result.returncode == 1
    assert "--from" in result.stderr


def test_promotion_with_wrong_password_is_refused(loopback_registry):
    result = run_cli("publish", "base", "--event", "release", "--ref", "2023.2", "--from", "0.1.0",
                     "--registry", loopback_registry, "--namespace", "ns",
                     env={"MONASCA_REGISTRY_PASSWORD": "wrong"})
    assert result.returncode == 1
    assert "refused the credentials" in result.stderr
