"""Which images an event rebuilds. Pure: a function of the catalog and changed paths.

A change rebuilds the images whose folder or lock changed, and every image
below them (a change to monasca-base rebuilds its children). A change to
the catalog, or to a series' own constraints, rebuilds what it can touch.
Merges, tags, releases and periodic runs rebuild everything.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from .catalog import Image, ancestors, build_order


def directly_changed(images: dict[str, Image], changed: list[str]) -> set[str]:
    names = set()
    for path in changed:
        parts = PurePosixPath(path).parts
        if parts == ("images", "catalog.toml"):
            return set(images)
        if len(parts) > 2 and parts[0] == "images" and parts[1] in images:
            names.add(parts[1])
        elif len(parts) == 3 and parts[0] == "locks":
            series, lock = parts[1], parts[2].removesuffix(".txt")
            if lock == "series":
                names |= {n for n, img in images.items() if img.component and img.series == series}
            elif lock in images:
                names.add(lock)
    return names


def affected(images: dict[str, Image], changed: list[str]) -> list[str]:
    """Names of the images to rebuild for these changed paths, parents first."""
    direct = directly_changed(images, changed)
    hit = [name for name in images if direct & {name, *ancestors(images, name)}]
    return [image.name for image in build_order(images, hit)] if hit else []


def for_event(images: dict[str, Image], event: str, changed: list[str] | None) -> list[str]:
    if event == "change":
        return affected(images, changed or [])
    return [image.name for image in build_order(images)]
