"""Suite-wide: a heavy test runs when the change touches what it tests.

`monasca-docker ci --event change` hands pytest the change's paths in
MONASCA_CHANGED (one a line). A test marked `heavy("images/", "engines.toml")`
is skipped, with the reason printed, when none of those paths starts with
one of the marker's prefixes; outside CI (no MONASCA_CHANGED) every test runs.
"""
import os

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "heavy(*prefixes): run under CI only when the change touches one of "
                                       "these path prefixes")


def touched(changed, prefixes):
    return any(path.startswith(prefix) for path in changed for prefix in prefixes)


def pytest_collection_modifyitems(config, items):
    if "MONASCA_CHANGED" not in os.environ:
        return
    changed = os.environ["MONASCA_CHANGED"].split("\n")
    for item in items:
        marker = item.get_closest_marker("heavy")
        if marker and not touched(changed, marker.args):
            item.add_marker(pytest.mark.skip(
                reason=f"heavy, and the change touches none of {', '.join(marker.args)}"))
