"""Suite-wide: a heavy suite runs when the change touches what it covers,
and every run can say where its time went and what failed.

`monasca-docker ci --event change` hands pytest the change's paths in
MONASCA_CHANGED (one a line). A module declared heavy in its folder's
suites.toml (src/monasca_docker/suites.py) is skipped, with the reason
printed, when the change touches nothing it covers; outside CI (no
MONASCA_CHANGED) every test runs.

With MONASCA_RESULTS set, the seconds each module took (setup, call and
teardown, so a module's fixtures count; an engine of tests/engines apiece)
and each failed test's error line are written there as JSON when the
session ends: `ci` prints them last, where a cut output still shows them.
"""
import collections
import json
import os
from pathlib import Path

import pytest

from monasca_docker import suites

ROOT = Path(__file__).resolve().parents[1]
_seconds = collections.Counter()
_suite_of = {}
_failed = {}


def pytest_collection_modifyitems(config, items):
    for item in items:
        _suite_of[item.nodeid] = suite_name(item)
    if "MONASCA_CHANGED" not in os.environ:
        return
    runs = suites.selected(ROOT, os.environ["MONASCA_CHANGED"].split("\n"))
    for item in items:
        module = item.nodeid.split("::")[0]
        if runs.get(module) is False:
            item.add_marker(pytest.mark.skip(reason=f"heavy, and the change touches nothing {module} covers "
                                                    f"(its suites.toml)"))


def suite_name(item):
    """The time table's row: the module, and for tests/engines the engine too."""
    module = item.nodeid.split("::")[0]
    engine = getattr(item, "callspec", None) and item.callspec.params.get("engine")
    return f"{module} [{engine}]" if engine else module


def pytest_runtest_logreport(report):
    _seconds[_suite_of.get(report.nodeid, report.nodeid.split("::")[0])] += report.duration
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        _failed[f"{report.nodeid} ({report.when})"] = crash.message if crash else str(report.longrepr)[-500:]


def pytest_sessionfinish(session):
    if os.environ.get("MONASCA_RESULTS"):
        Path(os.environ["MONASCA_RESULTS"]).write_text(
            json.dumps({"seconds": dict(_seconds), "failed": _failed}, indent=1) + "\n")
