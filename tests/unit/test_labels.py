import json

from monasca_docker.catalog import Image
from monasca_docker.labels import INPUTS_LABEL, BuildFacts, inputs_digest, oci_labels, versions_record

IMAGE = Image(name="base", repository="monasca/base", title="monasca-base", description="the base")
FACTS = BuildFacts(version="0.1.0", revision="abc123", created="2026-11-25T00:00:00Z",
                   source="https://example.invalid/repo", base_name="monasca/debian:bookworm-slim",
                   base_digest="sha256:0123")

OCI_KEYS = {"created", "revision", "source", "version", "title", "description", "url",
            "licenses", "vendor", "base.name", "base.digest"}


def test_labels_carry_every_oci_key_and_the_inputs():
    labels = oci_labels(IMAGE, FACTS, "sha256:feed")
    assert {k.removeprefix("org.opencontainers.image.") for k in labels if k != INPUTS_LABEL} == OCI_KEYS
    assert labels["org.opencontainers.image.revision"] == "abc123"
    assert labels["org.opencontainers.image.base.digest"] == "sha256:0123"
    assert labels[INPUTS_LABEL] == "sha256:feed"


def test_versions_record_holds_the_same_facts_as_the_labels():
    record = json.loads(versions_record(IMAGE, FACTS))
    labels = oci_labels(IMAGE, FACTS, "sha256:feed")
    for key in ("created", "revision", "source", "version"):
        assert record[key] == labels["org.opencontainers.image." + key]
    assert record["base_name"] == labels["org.opencontainers.image.base.name"]
    assert record["image"] == "monasca/base"


def test_inputs_digest_follows_content_mode_and_parent(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "start.sh").write_text("exec true\n")
    first = inputs_digest(tmp_path, {"parent": "p1"})
    assert inputs_digest(tmp_path, {"parent": "p1"}) == first
    assert inputs_digest(tmp_path, {"parent": "p2"}) != first

    (tmp_path / "start.sh").chmod(0o755)
    executable = inputs_digest(tmp_path, {"parent": "p1"})
    assert executable != first

    (tmp_path / "start.sh").write_text("exec false\n")
    assert inputs_digest(tmp_path, {"parent": "p1"}) != executable


def test_inputs_digest_ignores_build_leftovers(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    before = inputs_digest(tmp_path, {})
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "pkg.egg-info").mkdir()
    (tmp_path / "pkg.egg-info" / "PKG-INFO").write_text("x")
    assert inputs_digest(tmp_path, {}) == before
