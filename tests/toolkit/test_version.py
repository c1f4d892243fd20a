"""monasca-version: record build information in /VERSIONS and show it."""

import json

import pytest


@pytest.fixture
def versions(tmp_path):
    path = tmp_path / "VERSIONS"
    return path, {"MONASCA_VERSIONS_FILE": str(path)}


def test_record_then_show(tool, versions):
    path, env = versions
    assert tool("version", "record", "base_image=debian:bookworm", "toolkit=0.1.0", env=env).returncode == 0
    assert tool("version", "record", "--json", '{"component": {"name": "monasca-api", "version": "4.1.0"}}',
                "ref=a=b", env=env).returncode == 0
    assert tool("version", "record", "toolkit=0.2.0", env=env).returncode == 0
    assert json.loads(path.read_text()) == {
        "base_image": "debian:bookworm", "toolkit": "0.2.0", "ref": "a=b",
        "component": {"name": "monasca-api", "version": "4.1.0"}}

    result = tool("version", "show", env=env)
    assert result.returncode == 0
    assert result.stdout == (
        "base_image:        debian:bookworm\n"
        "component.name:    monasca-api\n"
        "component.version: 4.1.0\n"
        "ref:               a=b\n"
        "toolkit:           0.2.0\n")
    shown = tool("version", "show", "--json", env=env)
    assert json.loads(shown.stdout) == json.loads(path.read_text())
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_missing_file(tool, versions):
    path, env = versions
    result = tool("version", "show", env=env)
    assert result.returncode == 1
    assert result.stderr == f"monasca-version: error: {path} does not exist: this image has no build record\n"


def test_corrupt_file(tool, versions):
    path, env = versions
    path.write_text("{not json")
    for args in (["show"], ["show", "--json"], ["record", "a=b"]):
        result = tool("version", *args, env=env)
        assert result.returncode == 1 and f"{path} is not valid JSON" in result.stderr
    assert path.read_text() == "{not json"


def test_bad_pair(tool, versions):
    path, env = versions
    result = tool("version", "record", "novalue", env=env)
    assert result.returncode == 1 and "expected KEY=VALUE, got 'novalue'" in result.stderr
    assert not path.exists()
