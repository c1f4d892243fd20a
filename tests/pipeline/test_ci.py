"""`monasca-docker ci`: the plan of a change, and how test results decide."""
import json
import subprocess
import sys

import pytest

from ..support import CLI, ROOT


@pytest.fixture
def clone(tmp_path):
    """A clean clone of this checkout's HEAD, as a CI system has it."""
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    return target


def ci(cwd, *args):
    return subprocess.run([CLI, "ci", *args], cwd=cwd, capture_output=True, text=True)


def test_a_change_to_one_image_folder_plans_only_that_image(clone):
    (clone / "images" / "api" / "start.sh").open("a").write("# a reviewed change\n")
    result = ci(clone, "--event", "change", "--base", "HEAD", "--dry-run")
    assert result.returncode == 0, result.stderr
    the_plan = json.loads(result.stdout)
    assert the_plan["changed"] == ["images/api/start.sh"]
    assert the_plan["build"] == ["root", "base", "builder", "api"]     # what it needs is checked, not rebuilt
    assert the_plan["tags"] == []


@pytest.fixture
def statsd_restored():
    """The ancestors of statsd built here; afterwards statsd as this checkout has it."""
    subprocess.run([CLI, "build", "agent-base"], cwd=ROOT, check=True, capture_output=True)
    yield
    subprocess.run([CLI, "build", "statsd"], cwd=ROOT, check=True, capture_output=True)


def test_a_change_to_one_image_folder_rebuilds_only_that_image(clone, statsd_restored):
    (clone / "images" / "statsd" / "start.sh").open("a").write("# a reviewed change\n")
    some_tests = f"{sys.executable} -m pytest -q {ROOT}/tests/unit/test_plan.py"
    result = ci(clone, "--event", "change", "--base", "HEAD", "--test-command", some_tests)
    assert result.returncode == 0, result.stderr
    summary = json.loads((clone / "build" / "ci-summary.json").read_text())
    statuses = {item["image"]: item["status"] for item in summary["images"]}
    assert statuses == {"monasca/debian:bookworm-slim": "up to date", "monasca/base:latest": "up to date",
                        "monasca/builder:latest": "up to date", "monasca/agent-base:latest": "up to date",
                        "monasca/statsd:latest": "built"}
    assert all(item["digest"].startswith("sha256:") for item in summary["images"])


def test_a_change_to_monasca_base_plans_every_image(clone):
    (clone / "images" / "base" / "Dockerfile").open("a").write("# a reviewed change\n")
    the_plan = json.loads(ci(clone, "--event", "change", "--base", "HEAD", "--dry-run").stdout)
    assert len(the_plan["build"]) == len([line for line in (clone / "images" / "catalog.toml").read_text()
                                          .splitlines() if line.startswith("[images.")])


def test_a_merge_plans_everything_with_its_tags(clone):
    result = ci(clone, "--event", "merge", "--ref", "master", "--sha", "0" * 40, "--date", "2026-01-02",
                "--dry-run")
    the_plan = json.loads(result.stdout)
    assert the_plan["tags"] == ["master", "master-20260102-0000000"]


def test_an_unmappable_event_is_refused_before_anything_runs(clone):
    result = ci(clone, "--event", "merge", "--ref", "feature/x", "--dry-run")
    assert result.returncode == 1
    assert "cannot map a merge to branch 'feature/x'" in result.stderr


def test_tests_that_collect_nothing_fail_the_run(clone, tmp_path):
    (tmp_path / "empty").mkdir()
    no_tests = f"{sys.executable} -m pytest {tmp_path / 'empty'}"
    result = ci(clone, "--event", "change", "--base", "HEAD", "--test-command", no_tests)
    assert result.returncode == 1
    assert "collected no tests" in result.stderr
    summary = json.loads((clone / "build" / "ci-summary.json").read_text())
    assert summary["tests"]["exit"] == 5
    assert summary["pushed"] == []


def test_passing_tests_finish_the_change_without_publishing(clone):
    some_tests = f"{sys.executable} -m pytest -q {ROOT}/tests/unit/test_plan.py"
    result = ci(clone, "--event", "change", "--base", "HEAD", "--test-command", some_tests)
    assert result.returncode == 0, result.stderr
    tests = (ROOT / "tests" / "unit" / "test_plan.py").read_text().count("\ndef test_")
    assert f"{tests} passed" in result.stdout
    summary = json.loads((clone / "build" / "ci-summary.json").read_text())
    assert summary["tests"]["exit"] == 0
    assert summary["images"] == [] and summary["pushed"] == []


def test_the_run_ends_naming_each_failed_test_and_its_error(clone):
    probe = clone / "tests" / "failing_probe"
    probe.mkdir()
    (probe / "test_probe.py").write_text("def test_fails():\n    assert 1 == 2, 'the probe says why'\n\n\n"
                                         "def test_passes():\n    pass\n")
    result = ci(clone, "--event", "change", "--base", "HEAD",
                "--test-command", f"{sys.executable} -m pytest -q -p no:cacheprovider {probe}")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-4:] == [
        "ci: 1 test failed:", "  tests/failing_probe/test_probe.py::test_fails (call)",
        "    AssertionError: the probe says why", "    assert 1 == 2"], result.stderr


@pytest.mark.parametrize("edited, outcome", [("docs/usage.md", "1 passed"), ("README.md", "1 skipped")])
def test_a_heavy_test_runs_only_when_the_change_touches_what_it_tests(clone, edited, outcome):
    probe = clone / "tests" / "heavy_probe"
    probe.mkdir()
    (probe / "test_probe.py").write_text("def test_probe():\n    pass\n")
    (probe / "suites.toml").write_text('[test_probe]\npaths = ["docs/"]\n')
    # committed before the change: a change to a suite's own module runs it
    subprocess.run(["git", "-C", str(clone), "add", "tests/heavy_probe"], check=True)
    subprocess.run(["git", "-C", str(clone), "-c", "user.name=ci", "-c", "user.email=ci@example.invalid",
                    "commit", "--quiet", "-m", "a heavy probe"], check=True)
    (clone / edited).open("a").write("a reviewed change\n")
    result = ci(clone, "--event", "change", "--base", "HEAD",
                "--test-command", f"{sys.executable} -m pytest -q -rs -p no:cacheprovider {probe}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert outcome in result.stdout, result.stdout
