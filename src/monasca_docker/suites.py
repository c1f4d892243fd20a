"""The heavy test suites and what each covers, declared beside them.

A heavy suite builds images or starts containers; under CI it runs only
when the change touches what it covers. Each test folder with heavy suites
has a suites.toml, a table per test module of the folder:

    [test_swarm]
    images = "stack"              # "stack", "chart", "catalog" or catalog names
    paths = ["deploy/swarm/"]     # path prefixes
    whole_catalog = [...]         # path prefixes that also make a suite that builds
                                  # build every image (tests/engines); optional

A suite covers its module, its folder's conftest.py, __init__.py and
suites.toml, the helpers every test shares, its paths (whole_catalog's
included), and its images: a
change whose plan names one of them (plan.affected: an image whose folder
or lock it changes, every image below that one, and their ancestors, which
the plan checks) runs the suite.
pytest (tests/conftest.py) skips the suites a change does not touch, and
`monasca-docker ci` prints which run.
"""
from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

from . import catalog, plan, stack
from .cluster import k8s
from .errors import UserError

SHARED = ("tests/conftest.py", "tests/support.py")


@dataclasses.dataclass(frozen=True)
class Suite:
    module: str                       # tests/cluster/test_swarm.py
    own: tuple[str, ...]              # its module, its folder's files and the shared helpers
    paths: tuple[str, ...]            # prefixes of the paths it tests (its suites.toml's)
    whole_catalog: tuple[str, ...]    # of those, the ones that make it build every image
    images: frozenset[str]            # catalog names of the images it starts or builds

    def touches(self, changed: list[str]) -> bool:
        """Whether the change touches the suite's own files or the paths it tests (its images aside)."""
        return any(path.startswith((*self.own, *self.paths)) for path in changed)

    def runs_for(self, changed: list[str], planned: set[str]) -> bool:
        return self.touches(changed) or bool(self.images & planned)


def load(root: Path) -> dict[str, Suite]:
    """Every declared heavy suite, by module path."""
    images = catalog.load(root)
    found = {}
    for declaration in sorted((root / "tests").glob("*/suites.toml")):
        folder = declaration.parent.relative_to(root).as_posix()
        for name, entry in tomllib.loads(declaration.read_text()).items():
            module = f"{folder}/{name}.py"
            if not (root / module).is_file():
                raise UserError(f"{declaration}: [{name}] names no module: there is no {module}")
            own = (module, f"{folder}/conftest.py", f"{folder}/__init__.py", f"{folder}/suites.toml", *SHARED)
            whole = tuple(entry.get("whole_catalog", ()))
            found[module] = Suite(module, own, (*entry.get("paths", ()), *whole), whole,
                                  frozenset(_image_names(root, images, entry.get("images", ()), declaration)))
    return found


def _image_names(root: Path, images: dict[str, catalog.Image], declared, declaration: Path) -> set[str]:
    if declared == "catalog":
        return set(images)
    if declared == "stack":
        return set(stack.stack_images(root))
    if declared == "chart":
        repositories = set(k8s.chart_images(root))
        return {name for name, image in images.items() if image.repository in repositories}
    if isinstance(declared, str) or set(declared) - set(images):
        raise UserError(f"{declaration}: images = {declared!r}: give \"stack\", \"chart\", \"catalog\" "
                        f"or a list of the names `monasca-docker list` shows")
    return set(declared)


def planned(root: Path, changed: list[str]) -> set[str]:
    """The images a change's plan names: those whose inputs it touches, their descendants,
    and the ancestors of both (plan.affected: api's change names root, base, builder, api)."""
    return set(plan.affected(catalog.load(root), changed))


def selected(root: Path, changed: list[str]) -> dict[str, bool]:
    """Each heavy suite's module, and whether this change runs it."""
    images = planned(root, changed)
    return {module: suite.runs_for(changed, images) for module, suite in load(root).items()}
