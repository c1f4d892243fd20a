"""`ci`'s lanes: the README's pytest split into commands that run at once,
and the cluster suites that go to the first lane free."""
import sys

from monasca_docker import ci
from tests.support import ROOT


def test_every_test_module_runs_in_exactly_one_lane_or_after_one():
    lanes, later = ci._lanes(ci.Request(event=None))
    assert list(lanes) == [*ci.LANES, ci.REST]
    named = {lane: command[len(ci.PYTEST):] for lane, command in lanes.items()}
    named["later"] = [path for command in later for path in command[len(ci.PYTEST):]]
    assert named["later"] == list(ci.CLUSTERS)
    rest = [arg.removeprefix("--ignore=") for arg in named.pop(ci.REST)]
    assert rest == [path for paths in named.values() for path in paths]
    missing = [path for path in rest if not (ROOT / path).exists()]
    assert not missing, f"a lane names paths that are not there (it would run nothing of them): {missing}"
    modules = [path.relative_to(ROOT).as_posix() for path in (ROOT / "tests").rglob("test_*.py")]
    for module in modules:
        owners = [lane for lane, paths in named.items() if any(module.startswith(path) for path in paths)]
        assert len(owners) <= 1, (module, owners)      # none: the rest lane runs it


def test_another_test_command_runs_whole_in_one_lane():
    assert ci._lanes(ci.Request(event=None, test_command=("make", "check"))) == ({"tests": ["make", "check"]}, [])


SUITE = """\
import json, os, sys, time
paths = [arg for arg in sys.argv[1:] if not arg.startswith("--ignore=")] or ["rest"]
time.sleep({"slow": 5, "rest": 3, "quick": 0}.get(paths[0], 0.5))
with open(os.environ["MONASCA_RESULTS"], "w") as results:
    json.dump({"seconds": {paths[0]: 1.0}, "failed": {"second::test": "it failed"} if paths == ["second"] else {}},
              results)
print("ran", paths[0], flush=True)
sys.exit(1 if paths == ["second"] else 0)
"""


def test_the_cluster_suites_go_to_the_first_lane_free_and_their_failures_count(tmp_path, monkeypatch, capsys):
    """Real processes standing in for pytest (a script that sleeps): "quick" is free at once and
    takes both cluster suites, one after the other, while "slow" and the rest lane still run."""
    script = tmp_path / "suite.py"
    script.write_text(SUITE)
    monkeypatch.setattr(ci, "PYTEST", (sys.executable, str(script)))
    monkeypatch.setattr(ci, "LANES", {"slow": ("slow",), "quick": ("quick",)})
    monkeypatch.setattr(ci, "CLUSTERS", ("first", "second"))
    summary = {"seconds": {}}
    results = tmp_path / "build" / "ci-results.json"
    assert ci._test(ci.Request(event=None, test_command=ci.PYTEST), summary, None, results) == 1
    assert (tmp_path / "build" / "ci-quick.log").read_text().split("\n")[:3] == ["ran quick", "ran first", "ran second"]
    assert (tmp_path / "build" / "ci-slow.log").read_text() == "ran slow\n"
    seconds = summary["seconds"]
    assert set(seconds) == {"slow", "quick", "rest", "first", "second",
                            "pytest, slow lane", "pytest, quick lane", "pytest, host lane"}
    assert seconds["pytest, quick lane"] < seconds["pytest, host lane"] < seconds["pytest, slow lane"]
    assert summary["failed"] == {"second::test": "it failed"} and summary["tests"]["exit"] == 1
    assert "ci: second (in the quick lane) failed (pytest exit 1)" in capsys.readouterr().err
