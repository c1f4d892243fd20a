"""`ci`'s lanes: the README's pytest split into commands that run at once."""
from monasca_docker import ci
from tests.support import ROOT


def test_every_test_module_runs_in_exactly_one_lane():
    lanes = ci._lanes(ci.Request(event=None))
    assert list(lanes) == [*ci.LANES, ci.REST]
    named = {lane: command[len(ci.PYTEST):] for lane, command in lanes.items()}
    rest = [arg.removeprefix("--ignore=") for arg in named.pop(ci.REST)]
    assert rest == [path for paths in named.values() for path in paths]
    missing = [path for path in rest if not (ROOT / path).exists()]
    assert not missing, f"a lane names paths that are not there (it would run nothing of them): {missing}"
    modules = [path.relative_to(ROOT).as_posix() for path in (ROOT / "tests").rglob("test_*.py")]
    for module in modules:
        owners = [lane for lane, paths in named.items() if any(module.startswith(path) for path in paths)]
        assert len(owners) <= 1, (module, owners)      # none: the rest lane runs it
