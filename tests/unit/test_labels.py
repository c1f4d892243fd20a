import json

import pytest

from monasca_docker.catalog import Image
from monasca_docker.labels import (INPUTS_LABEL, OCI, VERSION_LABEL, BuildFacts, inputs_digest, oci_labels,
                                   source_url, versions_record)

IMAGE = Image(name="api", repository="monasca/api", title="monasca-api", description="the API",
              component="monasca-api", version="11.0.0")
FACTS = BuildFacts(version="0.1.0", revision="abc123", created="2026-11-25T00:00:00Z",
                   source="https://git.example.org/monasca-docker.git", base_name="monasca/base:latest",
                   base_digest="sha256:0123", component_version="11.0.0")

OCI_KEYS = {"created", "revision", "source", "version", "title", "description", "url",
            "licenses", "vendor", "base.name", "base.digest"}


def labels(**changes):
    facts = BuildFacts(**{**FACTS.__dict__, **changes})
    return oci_labels(IMAGE, facts, "sha256:feed")


def test_labels_carry_every_oci_key_and_our_own_two():
    found = labels()
    assert {k.removeprefix(OCI) for k in found if k.startswith(OCI)} == OCI_KEYS
    assert set(found) - {OCI + key for key in OCI_KEYS} == {VERSION_LABEL, INPUTS_LABEL}


def test_version_is_the_packaged_softwares_not_this_projects():
    found = labels()
    assert found[OCI + "version"] == "11.0.0"
    assert found[VERSION_LABEL] == "0.1.0"


def test_version_is_empty_when_no_release_names_the_software():
    # set, not left out: a left-out label would show the parent's value
    assert labels(component_version="")[OCI + "version"] == ""


def test_source_is_the_repository_url():
    assert labels()[OCI + "source"] == "https://git.example.org/monasca-docker.git"
    assert labels(source="")[OCI + "source"] == ""


@pytest.mark.parametrize("remote, url", [
    ("https://git.example.org/monasca-docker.git", "https://git.example.org/monasca-docker.git"),
    ("ssh://git@git.example.org:2222/monasca-docker", "ssh://git.example.org:2222/monasca-docker"),
    ("https://user:s3cret@git.example.org/x.git?a=b#c", "https://git.example.org/x.git"),
    ("/home/someone/monasca-docker", ""),
    ("../monasca-docker", ""),
    ("file:///srv/git/monasca-docker", ""),
    ("git@github.com:someone/monasca-docker.git", ""),   # scp-like: no URL
    ("", ""),
])
def test_source_url_keeps_urls_only_and_no_credentials(remote, url):
    assert source_url(remote) == url


def test_url_is_this_projects_page_never_upstreams_retired_repository():
    assert labels()[OCI + "url"] == "https://git.example.org/monasca-docker"
    assert labels(source="ssh://git.example.org/monasca-docker")[OCI + "url"] == ""
    assert labels(source="")[OCI + "url"] == ""
    assert "github.com/monasca/" not in json.dumps(labels())


def test_revision_and_created_are_this_builds():
    found = labels()
    assert found[OCI + "revision"] == "abc123"
    assert found[OCI + "created"] == "2026-11-25T00:00:00Z"


def test_title_and_description_are_the_catalogs():
    found = labels()
    assert (found[OCI + "title"], found[OCI + "description"]) == ("monasca-api", "the API")


def test_licenses_and_vendor_are_this_projects():
    found = labels()
    assert (found[OCI + "licenses"], found[OCI + "vendor"]) == ("Apache-2.0", "monasca-docker project")


def test_base_name_and_digest_are_the_parents():
    found = labels()
    assert (found[OCI + "base.name"], found[OCI + "base.digest"]) == ("monasca/base:latest", "sha256:0123")


def test_inputs_label_is_the_inputs_digest():
    assert labels()[INPUTS_LABEL] == "sha256:feed"


def test_versions_record_holds_the_same_facts_as_the_labels():
    record = json.loads(versions_record(IMAGE, FACTS))
    found = labels()
    for key in ("created", "revision", "source"):
        assert record[key] == found[OCI + key]
    assert record["component_version"] == found[OCI + "version"]
    assert record["version"] == found[VERSION_LABEL]
    assert record["base_name"] == found[OCI + "base.name"]
    assert record["image"] == "monasca/api"


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
