"""`monasca-docker ci`: the one entry point a CI system calls. Plan, build, test, publish.

Nothing is published unless every planned image built and the tests
passed; a change under review is never published (the tag policy says so).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import build as builder
from . import catalog, engine, plan, publish, suites, tags
from .git import git

SUMMARY = Path("build") / "ci-summary.json"
RESULTS = Path("build") / "ci-results.json"    # per lane: seconds per module and failures (tests/conftest.py)
PYTEST = (sys.executable, "-m", "pytest")
# The README's pytest runs as three lanes at once, each a sequence of
# suites that spends much of its time waiting on its services, which the
# other lanes fill. Each names its paths, in the order it runs them; the
# last runs everything the others do not. A lane never has two stacks up.
LANES = {"engines": ("tests/engines",), "stack": ("tests/stack",)}
REST = "host"
# The cluster suites, each on node containers of its own, run after the
# lanes' own suites, each in the first lane to be free, in this order:
# Kubernetes, the suite most sensitive to a loaded host, as late as it can.
# In fixed lanes, an api change (benchmarks/ci.sh api: 2,266 s) had the
# host lane done at 1,457 s while the stack lane still had Swarm ahead of it.
CLUSTERS = ("tests/cluster/test_swarm.py", "tests/cluster/test_k8s.py")


@dataclasses.dataclass
class Request:
    event: tags.Event
    base: str | None = None          # a change is compared with this revision
    dry_run: bool = False
    test_command: tuple[str, ...] = PYTEST
    registry: str = publish.DEFAULT_REGISTRY
    namespace: str = publish.DEFAULT_NAMESPACE
    source: str | None = None        # the tested tag or digest a release promotes
    jobs: int = 2


def default_base(root: Path) -> str:
    """What a change is compared with: the merge base with origin/main, else the parent commit."""
    for candidate in ("origin/main", "origin/master"):
        if base := git("merge-base", "HEAD", candidate, cwd=root, default=""):
            return base
    return (git("rev-parse", "--verify", "--quiet", "HEAD~1", cwd=root, default="")
            or git("hash-object", "-t", "tree", "/dev/null", cwd=root))   # the empty tree: all is new


def changed_paths(root: Path, base: str) -> list[str]:
    """Paths changed since base: committed, staged, unstaged and untracked (the change as it is)."""
    return sorted(set(git("diff", "--name-only", base, cwd=root).split()) |
                  set(git("ls-files", "--others", "--exclude-standard", cwd=root).split()))


def make_plan(root: Path, images: dict[str, catalog.Image], request: Request) -> plan.Plan:
    changed = changed_paths(root, request.base or default_base(root)) \
        if request.event.kind == "change" else None
    return plan.for_event(images, request.event, changed)


def run(request: Request) -> int:
    started = time.monotonic()
    root = catalog.project_root()
    images = catalog.load(root)
    the_plan = make_plan(root, images, request)
    if request.dry_run:
        print(json.dumps(the_plan.as_json(), indent=2))
        return 0
    summary = {"plan": the_plan.as_json(), "images": [], "tests": None, "pushed": [], "seconds": _setup_seconds()}
    if the_plan.changed is not None:
        _say_which_suites_run(root, list(the_plan.changed))
    if the_plan.images:
        options = builder.Options(names=[image.name for image in the_plan.images], jobs=request.jobs)
        building = time.monotonic()
        summary["images"] = [_describe(outcome) for outcome in builder.build(options, images=images)]
        summary["seconds"]["build on this host"] = time.monotonic() - building
    broken = [item["image"] for item in summary["images"] if item["status"] in ("failed", "skipped")]
    status = 1 if broken else _test(request, summary, the_plan.changed, root / RESULTS)
    if status == 0 and the_plan.publication.publishes:
        summary["pushed"] = _publish(request, the_plan)
    summary["seconds"]["total"] = time.monotonic() - started + summary["seconds"].get("setup", 0)
    _write(root, summary)
    print(time_table(summary["seconds"]))
    if summary.get("failed"):
        print(failures(summary["failed"]), file=sys.stderr)
    if broken:
        print(f"ci: not built: {', '.join(broken)}; see {SUMMARY}", file=sys.stderr)
    return status


def _say_which_suites_run(root: Path, changed: list[str]) -> None:
    runs = suites.selected(root, changed)
    for verdict, label in ((True, "run"), (False, "skipped: the change touches nothing they cover")):
        modules = sorted(module for module, selected in runs.items() if selected is verdict)
        print(f"ci: heavy suites {label}: {', '.join(modules) or 'none'}")


def _setup_seconds() -> dict[str, float]:
    """The set-up's seconds before `ci` started, when .ci/run measured them."""
    given = os.environ.get("MONASCA_CI_SETUP_SECONDS")
    return {"setup": float(given)} if given else {}


def time_table(seconds: dict[str, float], shown: float = 10.0) -> str:
    """Where a run's time went: the test modules largest first (those under `shown` seconds as
    one row), then the run's parts and its total.

    `seconds` has "total", and may have "setup", "build on this host",
    "pytest, LANE lane" rows (a lane's whole run: lanes run at once) and
    "tests/..." rows (a test module each, within its lane)."""
    modules = {name: value for name, value in seconds.items() if name.startswith("tests/")}
    big = sorted(((v, n) for n, v in modules.items() if v >= shown), reverse=True)
    small = [v for v in modules.values() if v < shown]
    rows = [(f"  {name}", value) for value, name in big]
    if small:
        rows.append((f"  {len(small)} other test module{'s' * (len(small) != 1)}, under {shown:.0f} s each",
                     sum(small)))
    # The run's parts last, above the total: a log cut in its middle still shows them.
    rows += [(name, value) for name, value in seconds.items()
             if name in ("setup", "build on this host") or name.startswith("pytest, ")]
    rows.append(("total", seconds["total"]))
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value:>7.0f} s" for name, value in rows]
    return "\n".join(["ci: time table", *lines[:-1], "-" * (width + 11), lines[-1]])


def failures(failed: dict[str, str]) -> str:
    """Each failed test and three lines of its error, the last thing a run prints: its first
    (the assertion's message) and, of a longer one, its last two (where output ends)."""
    lines = [f"ci: {len(failed)} test{'s' * (len(failed) != 1)} failed:"]
    for test, error in failed.items():
        said = error.splitlines()
        lines += [f"  {test}", *(f"    {line}" for line in (said if len(said) <= 3 else [said[0], *said[-2:]]))]
    return "\n".join(lines)


def _describe(outcome: builder.Outcome) -> dict:
    info = engine.inspect_image(outcome.image) if outcome.status in ("built", "up to date") else None
    return {"image": outcome.image, "status": outcome.status, "seconds": round(outcome.seconds, 1),
            "digest": info["Id"] if info else None, "size": info["Size"] if info else None,
            "error": outcome.error or None}


def _lanes(request: Request) -> tuple[dict[str, list[str]], list[list[str]]]:
    """The test commands to run at once, by lane, and those that go to the first
    lane free: the default pytest in LANES and CLUSTERS, another command whole."""
    if request.test_command != PYTEST:
        return {"tests": list(request.test_command)}, []
    taken = [*(path for paths in LANES.values() for path in paths), *CLUSTERS]
    return ({**{lane: [*PYTEST, *paths] for lane, paths in LANES.items()},
             REST: [*PYTEST, *(f"--ignore={path}" for path in taken)]},
            [[*PYTEST, path] for path in CLUSTERS])


@dataclasses.dataclass
class _Run:
    """One pytest of a lane: the lane's own suites, or a cluster suite after them."""
    name: str                    # "the LANE lane", or the cluster suite's path
    process: subprocess.Popen
    results: Path                # where its tests/conftest.py writes each module's seconds and failures
    log: Path | None             # the lane's output, unless it prints as it goes


def _test(request: Request, summary: dict, changed: tuple[str, ...] | None, results: Path) -> int:
    """Run the tests, in lanes at once; a run's 'no tests collected' (5) is a failure.

    A change's paths go to the tests in MONASCA_CHANGED: heavy suites run only
    when the change touches what they test (tests/conftest.py). The seconds
    of each test module and the failures come back in a `results` file a
    run, for the time table and the list of failures. The last lane prints
    as it goes; the others' output is kept in build/ci-LANE.log and printed
    when all are done."""
    env = {**os.environ, **({"MONASCA_CHANGED": "\n".join(changed)} if changed is not None else {})}
    results.parent.mkdir(parents=True, exist_ok=True)
    commands, later = _lanes(request)
    waiting = list(later)
    started = time.monotonic()
    busy = {name: _start(name, command, env, results, prints=number == len(commands), first=True)
            for number, (name, command) in enumerate(commands.items(), start=1)}
    runs = list(busy.values())
    while busy:
        for name, run in list(busy.items()):     # every run polled, so each one's end is taken when it comes
            if run.process.poll() is None:
                continue
            if waiting:
                busy[name] = _start(name, waiting.pop(0), env, results, prints=run.log is None, first=False)
                runs.append(busy[name])
            else:
                summary["seconds"][f"pytest, {name} lane"] = time.monotonic() - started
                del busy[name]
        time.sleep(0.5)
    for run in runs:
        if run.results.is_file():
            found = json.loads(run.results.read_text())
            summary["seconds"].update(found["seconds"])
            summary.setdefault("failed", {}).update(found["failed"])
    for log in dict.fromkeys(run.log for run in runs if run.log):
        print(f"ci: the {log.stem.removeprefix('ci-')} lane's output ({log}):\n{log.read_text()}")
    failed = [run for run in runs if run.process.returncode != 0]
    summary["tests"] = {"lanes": {name: " ".join(command) for name, command in commands.items()},
                        "then, in the first lane free": [" ".join(command) for command in later],
                        "exit": failed[0].process.returncode if failed else 0}
    for run in failed:
        code = run.process.returncode
        print(f"ci: {run.name} " + ("collected no tests; that is a failure" if code == 5
                                     else f"failed (pytest exit {code})"), file=sys.stderr)
    return 1 if failed else 0


def _start(lane: str, command: list[str], env: dict, results: Path, prints: bool, first: bool) -> _Run:
    """A lane's first run starts its log; a later one (a cluster suite) adds to it."""
    suffix = lane if first else f"{lane}-{Path(command[-1]).stem}"
    run_results = results.with_name(f"{results.stem}-{suffix}.json")
    run_results.unlink(missing_ok=True)
    log = None if prints else results.parent / f"ci-{lane}.log"
    with (log.open("w" if first else "a") if log else contextlib.nullcontext()) as output:
        process = subprocess.Popen(command, env={**env, "MONASCA_RESULTS": str(run_results)},
                                   stdout=output, stderr=subprocess.STDOUT if output else None)
    return _Run(f"the {lane} lane" if first else f"{command[-1]} (in the {lane} lane)", process, run_results, log)


def _publish(request: Request, the_plan: plan.Plan) -> list[dict]:
    chosen = [image for image in the_plan.images if image.recipe == "dockerfile"]
    done = publish.carry_out(chosen, the_plan.publication, request.source,
                             target_registry=request.registry, namespace=request.namespace)
    return [dataclasses.asdict(item) for item in done]


def _write(root: Path, summary: dict) -> None:
    path = root / SUMMARY
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")
