"""What a CI event does: which images it rebuilds and how they are published.
Pure: a function of the catalog, the event and the changed paths.

A change rebuilds the images whose folder or lock changed, and every image
below them (a change to monasca-base rebuilds its children). A change to
the catalog, or to a series' own constraints, rebuilds what it can touch.
Merges, tags, releases and periodic runs rebuild everything.
"""
from __future__ import annotations

import dataclasses
from pathlib import PurePosixPath

from .catalog import Image, build_order, requires
from .tags import Event, Publication, tags_for


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
            elif lock in images and images[lock].series == series:   # another series' lock: its build's
                names.add(lock)
    return names


def rebuilt(images: dict[str, Image], changed: list[str]) -> list[str]:
    """Names of the images whose inputs these changed paths touch: those they
    change and every image built from one of them (its parents excluded)."""
    direct = directly_changed(images, changed)
    return [name for name in images if direct & {name, *requires(images, name)}]


def affected(images: dict[str, Image], changed: list[str]) -> list[str]:
    """Names of the images to rebuild for these changed paths, parents first, with
    the ancestors they are built on (which a build checks and finds up to date)."""
    hit = rebuilt(images, changed)
    return [image.name for image in build_order(images, hit)] if hit else []


@dataclasses.dataclass(frozen=True)
class Plan:
    """What one CI event does: these images, parents first, published so."""
    event: Event
    changed: tuple[str, ...] | None          # a change's paths; None for the other events
    images: tuple[Image, ...]
    publication: Publication

    def as_json(self) -> dict:
        return {"event": self.event.kind, "ref": self.event.ref,
                "changed": None if self.changed is None else list(self.changed),
                "build": [image.name for image in self.images],
                "tags": list(self.publication.tags), "promote": self.publication.promote}


def for_event(images: dict[str, Image], event: Event, changed: list[str] | None = None) -> Plan:
    """The plan of an event; a change rebuilds what its paths touch. An
    event the tag policy cannot map is refused before anything is built."""
    publication = tags_for(event)
    if event.kind == "change":
        names = affected(images, changed or [])
    else:
        names = [image.name for image in build_order(images)]
    return Plan(event, None if changed is None else tuple(changed),
                tuple(images[name] for name in names), publication)
