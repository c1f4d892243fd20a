"""From the log API's envelope on Kafka to a search document and its index.

Pure functions: a message in, (index, document) out, or BadMessage saying
why the message cannot be stored. The envelope is what monasca-api's log
API publishes::

    {"log": {"message": "...", "dimensions": {...}, ...},
     "creation_time": 1447834886,
     "meta": {"tenantId": "...", "region": "..."}}

The document keeps upstream's log persister's fields (the tempest plugin
and Kibana searches use them): ``message``, ``tenant``, ``region``,
``log_level``, ``@timestamp``, ``creation_time``, and each dimension as a
field of its own.
"""
from __future__ import annotations

import datetime
import json
import re

PREFIX = "logs"
# The document's own fields: a dimension or log key with one of these names
# is kept under "dimensions" instead of replacing it.
OWN_FIELDS = frozenset({"message", "tenant", "region", "log_level", "log_level_original",
                        "@timestamp", "creation_time", "dimensions"})
MAX_INDEX_NAME = 255          # bytes, OpenSearch's limit
# Year 1 to 9999: what an index date and OpenSearch's date type can hold.
MIN_SECONDS, MAX_SECONDS = -62135596800, 253402300799

# Upstream's transformer looked for a level word in the first 50 characters,
# then in the whole message, or for a bunyan "level": NN. Here the word must
# stand alone ("information" is no INFO, "interrupted" no ERR).
_LEVEL = re.compile(r'\b(AUDIT|CRITICAL|DEBUG|INFO|TRACE|ERR(?:OR)?|WARN(?:ING)?)\b|"level":\s?(\d{2})\b',
                    re.IGNORECASE)
_LEVEL_NAMES = {"warn": "Warning", "err": "Error", "10": "Trace", "20": "Debug", "30": "Info",
                "40": "Warning", "50": "Error", "60": "Fatal"}


class BadMessage(ValueError):
    """A message that cannot become a document; its text says why."""


def tenant_part(tenant: str) -> str:
    """The tenant as it appears in index names: injective, and never holding '-'.

    Keystone's project ids (lowercase hex) stay as they are. Any other
    character, '_' included, becomes '_' and its UTF-8 bytes in hex, so
    that two tenants never share a name and 'logs-<tenant>-*' matches no
    other tenant's indices (log-search relies on this).
    """
    return "".join(ch if ch.isascii() and (ch.isdigit() or "a" <= ch <= "z")
                   else "".join(f"_{byte:02x}" for byte in ch.encode()) for ch in tenant)


def index_name(tenant: str, when: datetime.datetime) -> str:
    """logs-<tenant>-YYYY-MM-DD, the day of the log's own timestamp (UTC)."""
    return f"{PREFIX}-{tenant_part(tenant)}-{when:%Y-%m-%d}"


_INDEX_DAY = re.compile(rf"^{PREFIX}-[0-9a-z_]+-(\d{{4}}-\d{{2}}-\d{{2}})$")


def index_day(name: str) -> datetime.date | None:
    """The day a daily log index holds; None for a name that is not one."""
    match = _INDEX_DAY.match(name)
    try:
        return datetime.date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


def expired(names, today: datetime.date, days: int) -> list[str]:
    """The daily log indices of the days before the last `days`: every log
    in them is older than `days` days, and every younger log is elsewhere."""
    oldest = today - datetime.timedelta(days=days)
    return sorted(name for name in names if (day := index_day(name)) is not None and day < oldest)


def log_level(message: str, given=None) -> tuple[str, str | None]:
    """(level, the original word when it was mapped) of a log, as upstream's transformer named them."""
    found = given if isinstance(given, str) and given.strip() else None
    if found is None:
        match = _LEVEL.search(message[:50]) or _LEVEL.search(message)
        if match is None:
            return "Unknown", None
        found = match.group(1) or match.group(2)
    word = found.strip()
    mapped = _LEVEL_NAMES.get(word.lower())
    return (mapped, word) if mapped else (word.capitalize(), None)


def _seconds(value) -> float | None:
    """A UNIX time in seconds from seconds or milliseconds; None when it is no usable time."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    seconds = value / 1000 if abs(value) >= 1e11 else value    # 1e11 s is the year 5138
    return float(seconds) if MIN_SECONDS <= seconds <= MAX_SECONDS else None


def _iso(seconds: float) -> str:
    when = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def document(raw: bytes | None, now: float) -> tuple[str, dict]:
    """(index, document) of one envelope; `now` stands in for a missing creation time."""
    try:
        envelope = json.loads(raw)
    except (TypeError, ValueError, UnicodeDecodeError) as exc:
        raise BadMessage(f"not JSON: {exc}") from None
    if not isinstance(envelope, dict):
        raise BadMessage(f"not a JSON object but {type(envelope).__name__}")
    log, meta = envelope.get("log"), envelope.get("meta")
    if not isinstance(log, dict) or not isinstance(meta, dict):
        raise BadMessage("the envelope needs a 'log' and a 'meta' object")
    tenant, message = meta.get("tenantId"), log.get("message")
    if not isinstance(tenant, str) or not tenant:
        raise BadMessage("no tenant: meta.tenantId must be a non-empty string")
    if not isinstance(message, str):
        raise BadMessage("log.message must be a string")
    dimensions = log.get("dimensions") or {}
    if not isinstance(dimensions, dict):
        raise BadMessage("log.dimensions must be an object")

    created = _seconds(envelope.get("creation_time"))
    created = now if created is None else created
    stamp = _seconds(log.get("timestamp"))
    stamp = created if stamp is None else stamp
    level, original = log_level(message, log.get("level"))

    doc, kept = {}, {}
    # Other keys of the log (e.g. the API's "truncated") and the dimensions
    # become fields; the document's own fields are set after them and win.
    extra = {key: value for key, value in log.items() if key not in ("message", "dimensions", "level", "timestamp")}
    for name, value in [*extra.items(), *dimensions.items()]:
        (kept if name in OWN_FIELDS else doc)[name] = value
    doc.update({"message": message, "tenant": tenant, "region": meta.get("region"), "log_level": level,
                "@timestamp": _iso(stamp), "creation_time": _iso(created)})
    if original is not None:
        doc["log_level_original"] = original
    if kept:
        doc["dimensions"] = kept
    index = index_name(tenant, datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc))
    if len(index.encode()) > MAX_INDEX_NAME:
        raise BadMessage(f"tenant id of {len(tenant)} characters is too long to name an index")
    return index, doc
