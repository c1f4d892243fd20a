"""The catalog: which images exist, where their folders are, who is whose parent.

Pure: parsing and ordering take text and names, and touch no engine.
"""
from __future__ import annotations

import dataclasses
import difflib
import tomllib
from pathlib import Path

from .errors import UserError

RECIPES = ("dockerfile", "rootfs")


@dataclasses.dataclass(frozen=True)
class Image:
    name: str
    repository: str
    title: str
    description: str
    parent: str | None = None
    builder: str | None = None        # the entry whose image is its build stage (BUILDER_IMAGE)
    tag: str = "latest"
    recipe: str = "dockerfile"
    # Images that package a Monasca component (a Python distribution):
    component: str | None = None      # distribution name on PyPI
    version: str | None = None        # its default release
    git: str | None = None            # its repository, for --ref builds
    packages: tuple[str, ...] = ()    # distributions installed beside it
    series: str = "2023.2"            # OpenStack series of the lock file
    # The component's release in other series, as (series, version) pairs:
    # `build --series S` builds it with locks/S/ (for_series).
    releases: tuple[tuple[str, str], ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.repository}:{self.tag}"


def parse(text: str) -> dict[str, Image]:
    """Parse catalog TOML into images by name, checking parents and cycles."""
    try:
        entries = tomllib.loads(text).get("images", {})
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"catalog is not valid TOML: {exc}") from exc
    images = {}
    for name, fields in entries.items():
        try:
            fields["packages"] = tuple(fields.get("packages", ()))
            fields["releases"] = tuple(sorted(fields.get("releases", {}).items()))
            images[name] = Image(name=name, **fields)
        except TypeError as exc:
            raise UserError(f"catalog entry {name!r}: {exc}") from exc
        if images[name].recipe not in RECIPES:
            raise UserError(f"catalog entry {name!r}: recipe must be one of {RECIPES}")
    for image in images.values():
        for role, name in (("parent", image.parent), ("builder", image.builder)):
            if name is not None and name not in images:
                raise UserError(f"catalog entry {image.name!r}: unknown {role} {name!r}")
    for name in images:
        depth(images, name)  # raises on a cycle
    return images


def for_series(images: dict[str, Image], series: str) -> dict[str, Image]:
    """The catalog as a stack of another OpenStack series runs it: each
    component with a release there at that version and with that series'
    lock, tagged with the series, and so is every image built FROM one of
    them; the other images are shared by every series, as they are."""
    released = {name for name, image in images.items() if series in dict(image.releases)}
    if not released:
        known = sorted({s for image in images.values() for s, _ in image.releases})
        raise UserError(f"the catalog names no release of series {series!r} (it knows "
                        f"{', '.join(known) or 'none'}): add `releases` entries to images/catalog.toml")
    changed = dict(images)
    for name, image in images.items():
        version = dict(image.releases).get(series)
        if version:
            changed[name] = dataclasses.replace(image, tag=series, version=version, series=series)
        elif released & set(ancestors(images, name)):
            changed[name] = dataclasses.replace(image, tag=series)
    return changed


def project_root(start: Path | None = None) -> Path:
    """The checkout holding images/catalog.toml: cwd or above, else this package's."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents, Path(__file__).resolve().parents[2]):
        if (candidate / "images" / "catalog.toml").is_file():
            return candidate
    raise UserError("no images/catalog.toml found: run monasca-docker inside a monasca-docker checkout")


def load(root: Path | None = None) -> dict[str, Image]:
    return parse(((root or project_root()) / "images" / "catalog.toml").read_text())


def ancestors(images: dict[str, Image], name: str) -> list[str]:
    """Parents of `name`, nearest first."""
    chain, seen = [], {name}
    parent = images[name].parent
    while parent is not None:
        if parent in seen:
            raise UserError(f"catalog has a parent cycle through {parent!r}")
        chain.append(parent)
        seen.add(parent)
        parent = images[parent].parent
    return chain


def needs(image: Image) -> list[str]:
    """The entries whose images this one's build uses: its parent and its builder."""
    return [name for name in (image.parent, image.builder) if name is not None]


def built_upon(images: dict[str, Image]) -> set[str]:
    """The entries other images are built FROM or with (parents, builders): never run as services."""
    return {name for image in images.values() for name in needs(image)}


def requires(images: dict[str, Image], name: str) -> set[str]:
    """Every entry that must be built before `name`: what it needs, and what those need."""
    found = set()
    for needed in needs(images[name]):
        found |= {needed, *requires(images, needed)}
    return found


def depth(images: dict[str, Image], name: str, seen: tuple[str, ...] = ()) -> int:
    """The longest chain of needed images under `name` (0 for a root): build_order goes by it."""
    if name in seen:
        raise UserError(f"catalog has a cycle through {name!r}")
    return max((1 + depth(images, needed, (*seen, name)) for needed in needs(images[name])), default=0)


def check_names(images: dict[str, Image], names: list[str]) -> None:
    for name in names:
        if name not in images:
            close = difflib.get_close_matches(name, images, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UserError(
                f"unknown image {name!r}{hint} "
                f"(`monasca-docker list` shows the {len(images)} known images)")


def build_order(images: dict[str, Image], names: list[str] | None = None) -> list[Image]:
    """The named images (all when none) with their ancestors, parents first."""
    names = list(images) if not names else names
    check_names(images, names)
    wanted = set(names)
    for name in names:
        wanted |= requires(images, name)
    # Depth orders what is needed first; catalog order breaks ties.
    position = {name: i for i, name in enumerate(images)}
    return sorted((images[n] for n in wanted), key=lambda img: (depth(images, img.name), position[img.name]))


def folder(image: Image, root: Path | None = None) -> Path:
    return (root or project_root()) / "images" / image.name
