"""The JSON on the Kafka topics: metric envelopes and events in, alarm-transitioned out.

Parsing is strict about what the engine needs and says what is wrong, so
that a bad message is skipped with a reason instead of stopping the engine.
"""
from __future__ import annotations

import json
import math

from .model import Metric

NO_TENANT = "TENANT_ID_NOT_SET"
EVENTS = ("alarm-definition-created", "alarm-definition-updated", "alarm-definition-deleted",
          "alarm-updated", "alarm-deleted")
MAX_TIMESTAMP_MS = 2 ** 63 // 10 ** 6      # InfluxDB's and Java's range of a millisecond time


class BadMessage(ValueError):
    """A message the engine cannot use; its text says why."""


def _object(raw: bytes) -> dict:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadMessage(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadMessage(f"not a JSON object but {type(data).__name__}")
    return data


def metric(raw: bytes) -> tuple[str, Metric, float, int, float | None]:
    """(tenant, metric, value, timestamp in ms, creation_time in s) of a metrics envelope."""
    envelope = _object(raw)
    body, meta = envelope.get("metric"), envelope.get("meta") or {}
    if not isinstance(body, dict):
        raise BadMessage("no 'metric' object in the envelope")
    name, dimensions = body.get("name"), body.get("dimensions") or {}
    value, timestamp = body.get("value"), body.get("timestamp")
    if not isinstance(name, str) or not name:
        raise BadMessage("metric without a name")
    if not isinstance(dimensions, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in dimensions.items()):
        raise BadMessage(f"metric {name!r}: dimensions are not an object of strings")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadMessage(f"metric {name!r}: value {value!r} is not a finite number")
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)) or \
            not 0 <= timestamp < MAX_TIMESTAMP_MS:
        raise BadMessage(f"metric {name!r}: timestamp {timestamp!r} is not milliseconds since 1970")
    tenant = meta.get("tenantId") if isinstance(meta, dict) else None
    created = envelope.get("creation_time")
    created = created if isinstance(created, (int, float)) and not isinstance(created, bool) else None
    return (tenant if isinstance(tenant, str) else NO_TENANT, Metric.of(name, dimensions),
            float(value), int(timestamp), created)


REQUIRED = {"alarm-definition-created": ("alarmDefinitionId",),
            "alarm-definition-updated": ("alarmDefinitionId",),
            "alarm-definition-deleted": ("alarmDefinitionId",),
            "alarm-updated": ("alarmId",),
            "alarm-deleted": ("alarmId",)}


def event(raw: bytes) -> tuple[str, dict]:
    """(kind, body) of an event: one root key naming the kind."""
    data = _object(raw)
    if len(data) != 1:
        raise BadMessage(f"an event has one root key, this one has {sorted(data)}")
    (kind, body), = data.items()
    if kind not in REQUIRED:
        raise BadMessage(f"unknown event {kind!r}")
    if not isinstance(body, dict):
        raise BadMessage(f"{kind}: body is not an object")
    for field in REQUIRED[kind]:
        if not isinstance(body.get(field), str):
            raise BadMessage(f"{kind}: no {field}")
    return kind, body


def transition(alarm, old_state: str, new_state: str, timestamp_ms: int) -> bytes:
    """The alarm-transitioned message, keys in monasca-thresh's order, nulls written."""
    definition = alarm.definition
    body = {
        "tenantId": definition.tenant_id,
        "alarmId": alarm.id,
        "alarmDefinitionId": definition.id,
        "metrics": [m.to_json() for m in sorted(alarm.metrics, key=lambda m: (m.name, m.dimensions))],
        "alarmName": definition.name,
        "alarmDescription": definition.description,
        "oldState": old_state,
        "newState": new_state,
        "actionsEnabled": definition.actions_enabled,
        "stateChangeReason": alarm.reason(new_state),
        "severity": definition.severity,
        "link": alarm.link,
        "lifecycleState": alarm.lifecycle_state,
        "subAlarms": [s.transition_json() for s in alarm.sub_alarms],
        "timestamp": timestamp_ms,
    }
    return json.dumps({"alarm-transitioned": body}, ensure_ascii=False).encode()
