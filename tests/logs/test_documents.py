"""monasca-log-persister's envelope-to-document step and index names, without a store.

The envelope is the one monasca-api's log API puts on the `log` topic; the
fields are those upstream's Logstash persister wrote and the tempest
plugin's search reads (`message`, `tenant`); the log levels follow upstream's
transformer.
"""
import datetime
import json

import pytest
from hypothesis import given, strategies as st

from monasca_log_persister import documents

TENANT = "e4bd29509eda473092d32aadfee3e7b1"
NOW = 1700000000.0


def envelope(log, tenant=TENANT, creation_time=1447834886, **extra):
    return json.dumps({"log": log, "creation_time": creation_time,
                       "meta": {"tenantId": tenant, "region": "pl"}, **extra}).encode()


def test_the_log_apis_envelope_becomes_upstreams_fields():
    index, doc = documents.document(envelope({"message": "nova-api ERROR boom",
                                              "dimensions": {"hostname": "h1", "service": "nova"}}), NOW)
    assert index == f"logs-{TENANT}-2015-11-18"
    assert doc == {"message": "nova-api ERROR boom", "tenant": TENANT, "region": "pl", "hostname": "h1",
                   "service": "nova", "log_level": "Error", "@timestamp": "2015-11-18T08:21:26.000Z",
                   "creation_time": "2015-11-18T08:21:26.000Z"}


def test_the_logs_own_timestamp_names_the_day_in_seconds_or_milliseconds():
    for stamp in (1500000000, 1500000000000, 1500000000.5):
        index, doc = documents.document(envelope({"message": "m", "timestamp": stamp}), NOW)
        assert index.endswith("-2017-07-14") and doc["@timestamp"].startswith("2017-07-14T02:40:00")
    # not a time: the envelope's creation time stands in, as without one
    for stamp in ("yesterday", True, -1e20, None):
        index, doc = documents.document(envelope({"message": "m", "timestamp": stamp}), NOW)
        assert index.endswith("-2015-11-18"), stamp


def test_a_dimension_never_replaces_the_documents_own_fields():
    _, doc = documents.document(envelope({"message": "real", "truncated": True,
                                          "dimensions": {"message": "fake", "tenant": "other", "app": "x"}}), NOW)
    assert doc["message"] == "real" and doc["tenant"] == TENANT
    assert doc["dimensions"] == {"message": "fake", "tenant": "other"}
    assert doc["app"] == "x" and doc["truncated"] is True


@pytest.mark.parametrize("message, given, level, original", [
    ("2024-01-01 12:00:00 INFO nova.api started", None, "Info", None),
    ("warn: disk almost full", None, "Warning", "warn"),
    ("x" * 60 + " CRITICAL later in the message", None, "Critical", None),
    ('{"name":"app","level":50,"msg":"failed"}', None, "Error", "50"),
    ("information about an interrupted call", None, "Unknown", None),   # no word of its own
    ("ERROR in the text", "debug", "Debug", None),                      # the log's own level wins
])
def test_log_level_as_upstreams_transformer_named_it(message, given, level, original):
    assert documents.log_level(message, given) == (level, original)


@pytest.mark.parametrize("raw, reason", [
    (b"not json", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (None, "not JSON"),
    (json.dumps({"log": {"message": "m"}}).encode(), "'meta'"),
    (envelope({"message": "m"}, tenant=""), "no tenant"),
    (envelope({"message": 5}), "log.message"),
    (envelope({"message": "m", "dimensions": ["a"]}), "log.dimensions"),
    (envelope({"message": "m"}, tenant="t" * 300), "too long"),
])
def test_what_cannot_be_a_document_says_why(raw, reason):
    with pytest.raises(documents.BadMessage, match=reason):
        documents.document(raw, NOW)


def test_tenant_names_keep_keystone_ids_and_escape_the_rest():
    assert documents.tenant_part(TENANT) == TENANT
    assert documents.tenant_part("Ab-c_d") == "_41b_2dc_5fd"


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_tenant_names_never_collide_nor_hold_a_dash(one, other):
    first, second = documents.tenant_part(one), documents.tenant_part(other)
    assert "-" not in first and first.isascii() and first == first.lower()
    assert (first == second) == (one == other)


def test_only_daily_log_index_names_have_a_day():
    assert documents.index_day(f"logs-{TENANT}-2026-12-07") == datetime.date(2026, 12, 7)
    assert documents.index_day("logs-_2d_41b-2026-01-31") == datetime.date(2026, 1, 31)
    for name in ("logs-2026-12-07", f"logs-{TENANT}-2026-13-01", f"other-{TENANT}-2026-12-07",
                 f"logs-{TENANT}-2026-12-07-restored", ".kibana_1"):
        assert documents.index_day(name) is None, name


def test_retention_deletes_the_days_whose_every_log_is_older_and_keeps_the_rest():
    today = datetime.date(2026, 12, 7)
    days = {f"logs-{TENANT}-2026-11-{d:02d}" for d in range(25, 31)} | {f"logs-{TENANT}-2026-12-07"}
    # 7 days: the 29th ended 7 days before today began; a log of the 30th may be younger than 7 days.
    assert documents.expired([*days, ".kibana_1", "logs-unparsable"], today, 7) == \
        [f"logs-{TENANT}-2026-11-{d:02d}" for d in (25, 26, 27, 28, 29)]
    assert documents.expired(days, today, 1) == sorted(days - {f"logs-{TENANT}-2026-12-07"})
    assert documents.expired(days, today, 30) == []


def test_a_log_past_the_retention_falls_in_an_expired_index():
    index, _ = documents.document(envelope({"message": "old", "timestamp": 1700000000}), NOW)
    assert documents.expired([index], datetime.date(2023, 11, 21), 7) == []
    assert documents.expired([index], datetime.date(2023, 11, 22), 7) == [index]
