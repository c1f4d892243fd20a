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
    tag: str = "latest"
    recipe: str = "dockerfile"
    # Images that package a Monasca component (a Python distribution):
    component: str | None = None      # distribution name on PyPI
    version: str | None = None        # its default release
    git: str | None = None            # its repository, for --ref builds
    packages: tuple[str, ...] = ()    # distributions installed beside it
    series: str = "2023.2"            # OpenStack series of the lock file

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
            images[name] = Image(name=name, **fields)
        except TypeError as exc:
            raise UserError(f"catalog entry {name!r}: {exc}") from exc
        if images[name].recipe not in RECIPES:
            raise UserError(f"catalog entry {name!r}: recipe must be one of {RECIPES}")
    for image in images.values():
        if image.parent is not None and image.parent not in images:
            raise UserError(f"catalog entry {image.name!r}: unknown parent {image.parent!r}")
    for name in images:
        ancestors(images, name)  # raises on a cycle
    return images


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
        wanted.update(ancestors(images, name))
    # Depth in the parent tree orders parents first; catalog order breaks ties.
    position = {name: i for i, name in enumerate(images)}
    return sorted((images[n] for n in wanted),
                  key=lambda img: (len(ancestors(images, img.name)), position[img.name]))


def folder(image: Image, root: Path | None = None) -> Path:
    return (root or project_root()) / "images" / image.name
