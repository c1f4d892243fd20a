"""scripts/moby-current's choice of moby's newest module version (its network part,
the Go proxy, is not reachable from the tests)."""
import importlib.machinery
import importlib.util

from tests.support import ROOT


def load_script():
    loader = importlib.machinery.SourceFileLoader("moby_current", str(ROOT / "scripts" / "moby-current"))
    spec = importlib.util.spec_from_loader("moby_current", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_the_newest_version_is_taken_in_semantic_order_not_by_text():
    order = load_script().order
    listed = ["v2.0.0-beta.9", "v2.0.0-beta.25", "v2.0.0-beta.3", "v2.0.0-alpha.40", "v2.0.0-beta.24"]
    assert max(listed, key=order) == "v2.0.0-beta.25"
    assert max([*listed, "v2.0.0", "v2.0.1-rc.1"], key=order) == "v2.0.1-rc.1"
    assert max([*listed, "v2.0.0"], key=order) == "v2.0.0"
