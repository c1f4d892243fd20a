"""The tag policy: which tags an event publishes. A pure function of the event.

| event                    | tags                                              |
|--------------------------|---------------------------------------------------|
| change under review      | none: built and tested, not published             |
| merge to master          | master, master-YYYYMMDD-<sha7>                    |
| release tag X.Y.Z        | X.Y.Z; X.Y, X and latest each when it is the      |
|                          | newest release of that line (of all, for latest)  |
| merge to stable/<series> | the series (2023.2) and its name (bobcat)         |
| OpenStack release        | the series tags, promoted from the tested digest  |
| periodic                 | none: rebuilt and tested, not published           |
"""
from __future__ import annotations

import dataclasses
import datetime
import re

from packaging.version import InvalidVersion, Version

from .errors import UserError

EVENTS = ("change", "merge", "tag", "release", "periodic")
TAG_GRAMMAR = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
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


def release_version(text: str) -> Version | None:
    """The version of a final release tag X.Y.Z; None for a pre-release.

    Pre-releases are OpenStack's 11.0.0.0rc1, 11.0.0.0b2 and the PEP 440
    short forms 11.0.0rc1. Only the canonical spelling is a release tag:
    "v11.0.0" or "11.0.0-rc1" would publish tags that sort apart from their line.
    """
    try:
        version = Version(text)
    except InvalidVersion:
        version = None
    plain = version is not None and str(version) == text and not (
        version.epoch or version.local or version.is_postrelease or version.is_devrelease)
    if plain and version.pre is None and len(version.release) == 3:
        return version
    if plain and version.pre is not None and len(version.release) >= 3 and version.release[3:] in ((), (0,)):
        return None
    raise UserError(f"malformed release tag {text!r}: expected X.Y.Z or X.Y.Z.0rcN")


def _final(text: str) -> Version | None:
    """release_version of an existing tag, None for pre-releases and tags of other kinds."""
    try:
        return release_version(text)
    except UserError:
        return None


# The tags a final release X.Y.Z may move, with how many leading numbers a
# release shares with it to be of that tag's line (latest: every release).
LINES = (("{0}.{1}", 2), ("{0}", 1), ("latest", 0))


def _release_tag(event: Event) -> Publication:
    version = release_version(event.ref)
    if version is None:
        return Publication((event.ref,))
    finals = [v for v in map(_final, event.releases) if v is not None]
    # A backport to an older line is not the newest of the wider lines, so it
    # moves only its own; a re-tag of the newest moves them again.
    moved = tuple(tag.format(*version.release) for tag, width in LINES
                  if all(version >= other for other in finals
                         if other.release[:width] == version.release[:width]))
    return Publication((event.ref, *moved))
