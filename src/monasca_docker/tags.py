"""The tag policy: which tags an event publishes. A pure function of the event.

| event                    | tags                                              |
|--------------------------|---------------------------------------------------|
| change under review      | none: built and tested, not published             |
| merge to master          | master, master-YYYYMMDD-<sha7>                    |
| release tag X.Y.Z        | X.Y.Z; latest only when it is the newest release  |
| merge to stable/<series> | the series (2023.2) and its name (bobcat)         |
| OpenStack release        | the series tags, promoted from the tested digest  |
| periodic                 | none: rebuilt and tested, not published           |
"""
from __future__ import annotations

import dataclasses
import datetime
import re

from .errors import UserError

EVENTS = ("change", "merge", "tag", "release", "periodic")
TAG_GRAMMAR = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
FINAL = re.compile(r"(\d+)\.(\d+)\.(\d+)")
# OpenStack pre-releases: 11.0.0.0rc1, 11.0.0.0b2 (and the PEP 440 short forms).
PRERELEASE = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:\.0)?(?:a|b|rc)\d+")
SHA = re.compile(r"[0-9a-f]{7,40}")
SERIES = {
    "2023.1": "antelope", "2023.2": "bobcat", "2024.1": "caracal", "2024.2": "dalmatian",
    "2025.1": "epoxy", "2025.2": "flamingo",
}
NAMED_SERIES = ("queens", "rocky", "stein", "train", "ussuri", "victoria", "wallaby",
                "xena", "yoga", "zed")


@dataclasses.dataclass(frozen=True)
class Event:
    kind: str
    ref: str = ""                       # branch (merge), tag (tag) or series (release)
    sha: str = ""
    date: datetime.date | None = None
    releases: tuple[str, ...] = ()      # release tags that exist already


@dataclasses.dataclass(frozen=True)
class Publication:
    tags: tuple[str, ...]
    promote: bool = False               # retag the tested digest, never rebuild

    @property
    def publishes(self) -> bool:
        return bool(self.tags)


def tags_for(event: Event) -> Publication:
    if event.kind not in EVENTS:
        raise UserError(f"unknown event {event.kind!r}: one of {', '.join(EVENTS)}")
    if event.kind in ("change", "periodic"):
        return Publication(())
    if event.kind == "merge":
        return _merge(event)
    if event.kind == "tag":
        return _release_tag(event)
    return Publication(series_tags(event.ref), promote=True)


def _merge(event: Event) -> Publication:
    if event.ref == "master":
        if not SHA.fullmatch(event.sha or ""):
            raise UserError(f"a merge to master needs the merged commit's sha, not {event.sha!r}")
        if event.date is None:
            raise UserError("a merge to master needs the merge date")
        return Publication(("master", f"master-{event.date:%Y%m%d}-{event.sha[:7]}"))
    if event.ref.startswith("stable/"):
        return Publication(series_tags(event.ref.removeprefix("stable/")))
    raise UserError(f"cannot map a merge to branch {event.ref!r}: "
                    f"publishable branches are master and stable/<series>")


def series_tags(series: str) -> tuple[str, ...]:
    """2023.2 -> (2023.2, bobcat); bobcat -> (2023.2, bobcat); queens -> (queens,)."""
    by_name = {name: number for number, name in SERIES.items()}
    if series in SERIES:
        return series, SERIES[series]
    if series in by_name:
        return by_name[series], series
    if series in NAMED_SERIES:
        return (series,)
    raise UserError(f"unknown OpenStack series {series!r}: known are "
                    f"{', '.join([*NAMED_SERIES, *SERIES])}")


def release_key(version: str) -> tuple[int, int, int] | None:
    """(X, Y, Z) of a final release tag; None for pre-releases."""
    if FINAL.fullmatch(version):
        return tuple(int(part) for part in version.split("."))
    if PRERELEASE.fullmatch(version):
        return None
    raise UserError(f"malformed release tag {version!r}: expected X.Y.Z or X.Y.Z.0rcN")


def _release_tag(event: Event) -> Publication:
    key = release_key(event.ref)
    if key is None:
        return Publication((event.ref,))
    finals = [k for k in (release_key(v) for v in event.releases if _is_version(v)) if k is not None]
    newest = all(key >= other for other in finals)
    return Publication((event.ref, "latest") if newest else (event.ref,))


def _is_version(text: str) -> bool:
    return bool(FINAL.fullmatch(text) or PRERELEASE.fullmatch(text))


def sanitise(tag: str) -> str:
    """A tag in the registry grammar: invalid characters become '-', at most 128."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "-", tag).lstrip(".-")[:128]
    if not TAG_GRAMMAR.fullmatch(cleaned):
        raise UserError(f"{tag!r} cannot be made a valid tag")
    return cleaned
