"""`monasca-docker ci`: the one entry point a CI system calls. Plan, build, test, publish.

Nothing is published unless every planned image built and the tests
passed; a change under review is never published (the tag policy says so).
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from . import build as builder
from . import catalog, engine, plan, publish, tags
from .git import git

SUMMARY = Path("build") / "ci-summary.json"


@dataclasses.dataclass
class Request:
    event: tags.Event
    base: str | None = None          # a change is compared with this revision
    dry_run: bool = False
    test_command: tuple[str, ...] = (sys.executable, "-m", "pytest")
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
    root = catalog.project_root()
    images = catalog.load(root)
    the_plan = make_plan(root, images, request)
    if request.dry_run:
        print(json.dumps(the_plan.as_json(), indent=2))
        return 0
    summary = {"plan": the_plan.as_json(), "images": [], "tests": None, "pushed": []}
    if the_plan.images:
        options = builder.Options(names=[image.name for image in the_plan.images], jobs=request.jobs)
        summary["images"] = [_describe(outcome) for outcome in builder.build(options, images=images)]
    broken = [item["image"] for item in summary["images"] if item["status"] in ("failed", "skipped")]
    status = 1 if broken else _test(request, summary, the_plan.changed)
    if status == 0 and the_plan.publication.publishes:
        summary["pushed"] = _publish(request, the_plan)
    _write(root, summary)
    if broken:
        print(f"ci: not built: {', '.join(broken)}; see {SUMMARY}", file=sys.stderr)
    return status


def _describe(outcome: builder.Outcome) -> dict:
    info = engine.inspect_image(outcome.image) if outcome.status in ("built", "up to date") else None
    return {"image": outcome.image, "status": outcome.status, "seconds": round(outcome.seconds, 1),
            "digest": info["Id"] if info else None, "size": info["Size"] if info else None,
            "error": outcome.error or None}


def _test(request: Request, summary: dict, changed: tuple[str, ...] | None) -> int:
    """Run the test suite; pytest's 'no tests collected' (5) is a failure.

    A change's paths go to the tests in MONASCA_CHANGED: heavy suites run only
    when the change touches what they test (tests/conftest.py)."""
    env = dict(os.environ)
    if changed is not None:
        env["MONASCA_CHANGED"] = "\n".join(changed)
    code = subprocess.run(list(request.test_command), env=env).returncode
    summary["tests"] = {"command": " ".join(request.test_command), "exit": code}
    if code == 5:
        print("ci: the test command collected no tests; that is a failure", file=sys.stderr)
        return 1
    return 0 if code == 0 else 1


def _publish(request: Request, the_plan: plan.Plan) -> list[dict]:
    chosen = [image for image in the_plan.images if image.recipe == "dockerfile"]
    done = publish.carry_out(chosen, the_plan.publication, request.source,
                             target_registry=request.registry, namespace=request.namespace)
    return [dataclasses.asdict(item) for item in done]


def _write(root: Path, summary: dict) -> None:
    path = root / SUMMARY
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2) + "\n")
