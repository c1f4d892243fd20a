"""Which indices a search may read, and what a search body may ask: pure functions.

A project's logs are in the indices ``logs-<project>-YYYY-MM-DD`` that
monasca/log-persister writes. Every index expression of a request (its path
and each ``_msearch`` header) is checked against the caller's scope and
rewritten: ``*``, ``_all``, ``logs-*`` or none at all mean "all my logs";
an index or pattern inside ``logs-<project>-`` is kept; anything else is
refused, never widened. A caller with a delegate role (the API's
``admin``) reads every project's logs, as the metrics and logs APIs let it
act for any project.
"""
from __future__ import annotations

import json
import re

PREFIX = "logs"
_ALL = {"", "*", "_all", f"{PREFIX}*", f"{PREFIX}-*"}
_DATE_PART = re.compile(r"[0-9*.-]*")               # what may follow logs-<project>-
_ANY_LOGS = re.compile(rf"{PREFIX}-[a-z0-9_*.-]+")   # a delegate's index: no ',', ':', '<' or space
# Query parameters forwarded to OpenSearch: none of them names an index or
# carries a body ("source" would bypass the body check, so it is not here).
PARAMS = frozenset({
    "allow_no_indices", "allow_partial_search_results", "analyzer", "batched_reduce_size", "default_operator",
    "df", "filter_path", "from", "ignore_unavailable", "lenient", "max_concurrent_searches",
    "max_concurrent_shard_requests", "pre_filter_shard_size", "preference", "pretty", "q", "request_cache",
    "rest_total_hits_as_int", "search_type", "size", "sort", "terminate_after", "timeout", "track_scores",
    "track_total_hits", "typed_keys", "_source", "_source_includes", "_source_excludes", "explain", "version",
})


class Refused(Exception):
    """A request outside the caller's scope or not understood; status and text for the answer."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


def tenant_part(tenant: str) -> str:
    """The project as log-persister writes it into index names (the same function as its own).

    Lowercase letters and digits stay; any other character, '_' included,
    becomes '_' and its UTF-8 bytes in hex: injective, and never a '-', so
    'logs-<project>-*' matches no other project's indices.
    """
    return "".join(ch if ch.isascii() and (ch.isdigit() or "a" <= ch <= "z")
                   else "".join(f"_{byte:02x}" for byte in ch.encode()) for ch in tenant)


def indices(expression, project: str | None) -> str:
    """The index expression to send for what was asked; project None means every project.

    `expression` is a comma-separated string, a list, or None (nothing asked).
    """
    asked = expression if isinstance(expression, list) else str(expression or "").split(",")
    own = f"{PREFIX}-*" if project is None else f"{PREFIX}-{tenant_part(project)}-*"
    result = []
    for name in asked:
        if not isinstance(name, str):
            raise Refused(400, f"index names are strings, not {json.dumps(name)}")
        name = name.strip()
        if name in _ALL or (project is not None and name == f"{PREFIX}-{tenant_part(project)}*"):
            name = own
        elif project is None:
            if not _ANY_LOGS.fullmatch(name):
                raise Refused(403, f"index {name!r} holds no logs: log indices are {PREFIX}-<project>-<date>")
        elif not (name.startswith(own[:-1]) and _DATE_PART.fullmatch(name[len(own) - 1:])):
            raise Refused(403, f"index {name!r} is not one of this project's log indices ({own})")
        if name not in result:
            result.append(name)
    return ",".join(result)


def _lookups(value, path="") -> str | None:
    """Where a body fetches a document by index and id (terms lookup, more_like_this, ...), or None."""
    if isinstance(value, dict):
        if ({"index", "_index"} & value.keys()) and ({"id", "_id"} & value.keys()):
            return path or "the body"
        for key, item in value.items():
            found = _lookups(item, f"{path}.{key}" if path else key)
            if found:
                return found
    elif isinstance(value, list):
        for number, item in enumerate(value):
            found = _lookups(item, f"{path}[{number}]")
            if found:
                return found
    return None


def body(text: bytes | str) -> dict:
    """A search body, parsed and checked; {} for an empty one.

    A query may name a document of another index to fetch (terms lookup,
    more_like_this, an indexed shape, percolate), which would read outside
    the indices the path allows; a point in time was opened on indices of
    its own. Both are refused.
    """
    if not (text or b"").strip():
        return {}
    try:
        parsed = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(400, f"the search body is not JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise Refused(400, "the search body must be a JSON object")
    if "pit" in parsed:
        raise Refused(400, "point-in-time searches are not served: a point in time names its own indices")
    where = _lookups(parsed)
    if where:
        raise Refused(400, f"{where} fetches a document by index and id: lookups in other indices are not served")
    return parsed


def msearch(text: bytes, path_indices, project: str | None) -> bytes:
    """An _msearch body with each header's indices checked and rewritten, each search checked."""
    try:
        lines = [line for line in text.decode().split("\n") if line.strip()]
    except UnicodeDecodeError as exc:
        raise Refused(400, f"the _msearch body is not UTF-8: {exc}") from None
    if not lines or len(lines) % 2:
        raise Refused(400, "an _msearch body is pairs of lines: a header, then a search")
    out = []
    for number in range(0, len(lines), 2):
        try:
            header = json.loads(lines[number])
        except ValueError as exc:
            raise Refused(400, f"_msearch header {number // 2 + 1} is not JSON: {exc}") from None
        if not isinstance(header, dict):
            raise Refused(400, f"_msearch header {number // 2 + 1} must be a JSON object")
        header["index"] = indices(header.get("index", path_indices), project)
        out += [json.dumps(header), json.dumps(body(lines[number + 1]))]
    return ("\n".join(out) + "\n").encode()


def params(query: dict) -> dict:
    """The query parameters to forward; an unknown one is refused by name."""
    unknown = sorted(set(query) - PARAMS)
    if unknown:
        raise Refused(400, f"query parameters not served: {', '.join(unknown)}")
    return query
