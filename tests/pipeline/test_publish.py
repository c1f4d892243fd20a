"""Publishing and promotion against a real registry on loopback."""
import pytest

from monasca_docker import engine, registry

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


def remote_digest(where, tag):
    client = registry.Client(where, (USER, PASSWORD))
    return client.manifest("ns/base", tag)[2]


def test_push_without_credentials_is_refused(loopback_registry, base_built, tmp_path):
    result = run_cli("publish", "base", "--event", "merge", "--ref", "master", "--sha", SHA,
                     "--registry", loopback_registry, "--namespace", "ns", creds=False,
                     env={"DOCKER_CONFIG": str(tmp_path)})
    assert result.returncode == 1
    assert "was refused" in result.stderr
    assert "MONASCA_REGISTRY_USER" in result.stderr


def test_merge_publishes_master_and_the_immutable_tag(loopback_registry, base_built, tmp_path):
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
    engine.login(loopback_registry, USER, PASSWORD, config=tmp_path)
    engine.pull(pulled, config=tmp_path)
    info = engine.inspect_image(pulled)
    assert f"{loopback_registry}/ns/base@{targets[pulled]}" in info["RepoDigests"]
    assert info["Config"]["Labels"] == base_built["Config"]["Labels"]


def test_release_tag_and_promotion_keep_the_digest(loopback_registry, base_built):
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
    assert remote_digest(loopback_registry, "bobcat") == remote_digest(loopback_registry, "0.1.0") == digest


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
