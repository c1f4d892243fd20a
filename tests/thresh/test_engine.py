"""The threshold engine end to end, against a real MariaDB with the real `mon` schema.

The oracle is the contract (../shared/reference/thresh-contract.md): §2.4 for
the alarm-transitioned message, §3 for the rows the API reads, §4 for when
states change, §5 for the tempest scenarios. Kafka is exercised by the thresh
image and stack tests; here `publish` only collects, and the engine's output
(messages and rows) is what is asserted. The clock is a number the tests set,
so windows and ticks are deterministic. Definitions are written with the
API's user and parser, the engine runs as the thresh user.
"""
import datetime
import hashlib
import json
import uuid

import pymysql
import pytest
from monasca_api.expression_parser import alarm_expr_parser

from monasca_thresh import messages
from monasca_thresh.engine import Engine
from monasca_thresh.model import Metric
from monasca_thresh.store import Store

TENANT = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
M = 1_800_000_000 // 60 * 60          # a whole minute; every test starts at M + 25
KEYS = ["tenantId", "alarmId", "alarmDefinitionId", "metrics", "alarmName", "alarmDescription",
        "oldState", "newState", "actionsEnabled", "stateChangeReason", "severity", "link",
        "lifecycleState", "subAlarms", "timestamp"]
EXCEEDED = "Thresholds were exceeded for the sub-alarms: "
NOT_EXCEEDED = "The alarm threshold(s) have not been exceeded for the sub-alarms: "
NO_DATA = "No data was present for the sub-alarms: "


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


class Thresh:
    """An Engine on the real Store as the thresh user; what it publishes is collected."""

    def __init__(self, login, clock):
        self.clock, self.published = clock, []
        self.store = Store(**login)
        self.engine = Engine(self.store, self.published.extend, clock=clock)
        self.engine.load()

    def metric(self, name, dims, value):
        """A metric stamped now, as fresh as the API makes it (§2.2)."""
        self.engine.on_metric(TENANT, Metric.of(name, dims), value, int(self.clock.t * 1000), self.clock.t)
        self.engine.flush()          # as the service does after each batch

    def tick(self, at):
        self.clock.t = at
        self.engine.tick()
        self.engine.flush()

    def event(self, kind, body):
        """Through the event parser, as the service hands `events` to the engine."""
        self.engine.on_event(*messages.event(json.dumps({kind: body}).encode()))
        self.engine.flush()

    def messages(self):
        """The alarm-transitioned bodies published since the last call (§2.4 shape checked)."""
        bodies = []
        for alarm_id, raw in self.published:
            document = json.loads(raw)
            assert list(document) == ["alarm-transitioned"]
            body = document["alarm-transitioned"]
            assert list(body) == KEYS and body["alarmId"] == alarm_id
            for sub in body["subAlarms"]:
                assert list(sub) == ["subAlarmExpression", "subAlarmState", "currentValues"]
                assert list(sub["subAlarmExpression"]) == ["function", "metricDefinition", "operator",
                                                           "threshold", "period", "periods", "deterministic"]
            bodies.append(body)
        self.published.clear()
        return bodies


@pytest.fixture
def db(api_db):
    """The API's connection, on a `mon` emptied of definitions, alarms and metrics."""
    with api_db.cursor() as cursor:
        for table in ("alarm", "sub_alarm_definition_dimension", "sub_alarm_definition", "alarm_definition",
                      "metric_dimension", "metric_definition_dimensions", "metric_definition"):
            cursor.execute(f"delete from {table}")
    return api_db


@pytest.fixture
def thresh(db, thresh_login):
    engine = Thresh(thresh_login, Clock(M + 25))
    yield engine
    engine.store.conn.close()


# --- the API's side: definitions and deletes --------------------------------
def sub_event(sub):
    """A sub-expression object of an event (§2.3), as the API builds it."""
    dims = dict(d.split("=", 1) for d in sub.dimensions_as_list)
    return {"function": sub.normalized_func, "metricDefinition": {"name": sub.metric_name, "dimensions": dims},
            "operator": sub.normalized_operator, "threshold": sub.threshold, "period": sub.period,
            "periods": sub.periods, "expression": sub.fmtd_sub_expr_str}


def define(db, thresh, expression, match_by=(), name=None):
    """Insert a definition as the API does, send alarm-definition-created (§2.3a); its id."""
    def_id, now, name = str(uuid.uuid4()), datetime.datetime.utcnow(), name or expression
    subs = {}
    with db.cursor() as cursor:
        cursor.execute("insert into alarm_definition (id, tenant_id, name, description, expression, severity,"
                       " match_by, actions_enabled, created_at, updated_at)"
                       " values (%s, %s, %s, %s, %s, 'HIGH', %s, 1, %s, %s)",
                       (def_id, TENANT, name, f"about {name}", expression, ",".join(match_by), now, now))
        for sub in alarm_expr_parser.AlarmExprParser(expression).sub_expr_list:
            sad_id = str(uuid.uuid4())
            cursor.execute("insert into sub_alarm_definition (id, alarm_definition_id, function, metric_name,"
                           " operator, threshold, period, periods, is_deterministic, created_at, updated_at)"
                           " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                           (sad_id, def_id, sub.normalized_func, sub.metric_name, sub.normalized_operator,
                            sub.threshold, sub.period, sub.periods, sub.deterministic, now, now))
            for dim in sub.dimensions_as_list:
                cursor.execute("insert into sub_alarm_definition_dimension (sub_alarm_definition_id,"
                               " dimension_name, value) values (%s, %s, %s)", (sad_id, *dim.split("=", 1)))
            subs[sad_id] = sub_event(sub)
    thresh.event("alarm-definition-created", {
        "tenantId": TENANT, "alarmDefinitionId": def_id, "alarmName": name, "alarmDescription": f"about {name}",
        "alarmExpression": expression, "matchBy": list(match_by), "alarmSubExpressions": subs})
    return def_id


def update_definition(db, thresh, def_id, expression, name, severity):
    """A PATCH that changes thresholds only, as the API writes and announces it (§2.3b)."""
    now, changed = datetime.datetime.utcnow(), {}
    with db.cursor() as cursor:
        cursor.execute("update alarm_definition set expression = %s, name = %s, severity = %s, updated_at = %s"
                       " where id = %s", (expression, name, severity, now, def_id))
        for sub in alarm_expr_parser.AlarmExprParser(expression).sub_expr_list:
            sad_id = sad_ids(db, def_id)[sub.metric_name]
            cursor.execute("update sub_alarm_definition set operator = %s, threshold = %s, updated_at = %s"
                           " where id = %s", (sub.normalized_operator, sub.threshold, now, sad_id))
            changed[sad_id] = sub_event(sub)
    thresh.event("alarm-definition-updated", {
        "tenantId": TENANT, "alarmDefinitionId": def_id, "alarmName": name, "alarmDescription": f"about {name}",
        "alarmExpression": expression, "severity": severity, "matchBy": [], "alarmActionsEnabled": True,
        "oldAlarmSubExpressions": {}, "changedSubExpressions": changed, "unchangedSubExpressions": {},
        "newAlarmSubExpressions": {}})


def delete_alarm(db, thresh, alarm_id, def_id):
    """DELETE /alarms/{id}: the row goes, then alarm-deleted (§2.3d) with sub_alarm ids as keys."""
    body = {"tenantId": TENANT, "alarmDefinitionId": def_id, "alarmId": alarm_id, "link": None,
            "lifecycleState": None,
            "alarmMetrics": [{"name": n, "dimensions": d} for n, d in alarm_metrics(db, alarm_id)],
            "subAlarms": {sub_id: sub_event(api_parses(text)) for sub_id, _, text, _ in sub_alarms(db, alarm_id)}}
    with db.cursor() as cursor:
        cursor.execute("delete from alarm where id = %s", (alarm_id,))
    thresh.event("alarm-deleted", body)


# --- what the API reads -----------------------------------------------------
def query(db, sql, *args):
    with db.cursor() as cursor:
        cursor.execute(sql, args)
        return cursor.fetchall()


def sad_ids(db, def_id):
    return dict(query(db, "select metric_name, id from sub_alarm_definition where alarm_definition_id = %s", def_id))


def alarms(db, def_id):
    """{alarm id: state} of a definition; state_updated_at must be set (§3.3)."""
    rows = query(db, "select id, state, state_updated_at from alarm where alarm_definition_id = %s", def_id)
    assert all(updated is not None for _, _, updated in rows)
    return {alarm_id: state for alarm_id, state, _ in rows}


def sub_alarms(db, alarm_id):
    return sorted(query(db, "select id, sub_expression_id, expression, state from sub_alarm where alarm_id = %s",
                        alarm_id), key=lambda row: row[2])


def api_parses(text):
    """sub_alarm.expression as the API re-parses it for PATCH, PUT and DELETE (§2.3d)."""
    sub, = alarm_expr_parser.AlarmExprParser(text).sub_expr_list
    return sub


def sha1(text):
    return hashlib.sha1(text.encode()).digest()


def alarm_metrics(db, alarm_id):
    """[(name, dims)] through the API's inner joins (§3.1), checking the SHA-1 ids of §3.4."""
    rows = query(db, "select md.id, md.name, md.tenant_id, md.region, mdd.id, mdd.metric_dimension_set_id,"
                     " mdim.name, mdim.value from alarm a"
                     " join alarm_definition ad on ad.id = a.alarm_definition_id"
                     " join alarm_metric am on am.alarm_id = a.id"
                     " join metric_definition_dimensions mdd on mdd.id = am.metric_definition_dimensions_id"
                     " join metric_definition md on md.id = mdd.metric_definition_id"
                     " left join metric_dimension mdim on mdim.dimension_set_id = mdd.metric_dimension_set_id"
                     " where a.id = %s", alarm_id)
    found = {}
    for md_id, name, tenant, region, mdd_id, set_id, dim_name, dim_value in rows:
        _, dims = found.setdefault(mdd_id, (name, {}))
        if dim_name is not None:
            dims[dim_name] = dim_value
        assert (tenant, region) == (TENANT, "") and md_id == sha1(name + TENANT)
    for mdd_id, (name, dims) in found.items():
        set_id = sha1("".join(k + v for k, v in sorted(dims.items())))
        assert mdd_id == sha1(sha1(name + TENANT).hex() + set_id.hex())
        assert query(db, "select metric_dimension_set_id from metric_definition_dimensions where id = %s",
                     mdd_id) == ((set_id,),)
    return sorted(found.values(), key=lambda metric: (metric[0], sorted(metric[1].items())))


def only(mapping):
    (item,) = mapping.items()
    return item


# --- the scenarios ----------------------------------------------------------
def test_thresh_user_cannot_write_definitions(thresh_login):
    with pymysql.connect(**thresh_login) as connection, connection.cursor() as cursor:
        for sql in ["insert into alarm_definition (id, tenant_id, name, expression, severity, match_by,"
                    " actions_enabled, created_at, updated_at) values ('d', 't', 'n', 'max(x) > 0', 'LOW', '',"
                    " 1, now(), now())",
                    "update sub_alarm_definition set threshold = 1",
                    "delete from sub_alarm_definition_dimension"]:
            with pytest.raises(pymysql.err.OperationalError) as refused:
                cursor.execute(sql)
            assert refused.value.args[0] in (1142, 1143), sql


def test_max_alarm_is_created_undetermined_and_alarms_at_once(db, thresh):
    def_id = define(db, thresh, "max(x) > 0", name="max x")
    thresh.metric("x", {"hostname": "h1"}, 0.0)
    alarm_id, state = only(alarms(db, def_id))
    assert state == "UNDETERMINED" and thresh.messages() == []        # no message at creation (§4.3)
    (_, sad_id, text, _), = sub_alarms(db, alarm_id)
    assert sad_id == sad_ids(db, def_id)["x"] and text == "max(x) > 0.0"
    sub = api_parses(text)
    assert (sub.normalized_func, sub.metric_name, sub.normalized_operator, sub.threshold) == ("MAX", "x", "GT", 0.0)
    assert alarm_metrics(db, alarm_id) == [("x", {"hostname": "h1"})]

    thresh.clock.t += 1.5
    thresh.metric("x", {"hostname": "h1"}, 1.0)
    assert thresh.messages() == [{
        "tenantId": TENANT, "alarmId": alarm_id, "alarmDefinitionId": def_id,
        "metrics": [{"id": None, "name": "x", "dimensions": {"hostname": "h1"}}],
        "alarmName": "max x", "alarmDescription": "about max x", "oldState": "UNDETERMINED", "newState": "ALARM",
        "actionsEnabled": True, "stateChangeReason": EXCEEDED + "max(x) > 0.0 with the values: [1.0]",
        "severity": "HIGH", "link": None, "lifecycleState": None,
        "subAlarms": [{"subAlarmExpression": {"function": "MAX",
                                              "metricDefinition": {"id": None, "name": "x", "dimensions": {}},
                                              "operator": "GT", "threshold": 0.0, "period": 60, "periods": 1,
                                              "deterministic": False},
                       "subAlarmState": "ALARM", "currentValues": [1.0]}],
        "timestamp": int(thresh.clock.t * 1000)}]
    assert alarms(db, def_id) == {alarm_id: "ALARM"}
    (updated,), = query(db, "select state_updated_at from alarm where id = %s", alarm_id)
    assert abs(updated.replace(tzinfo=datetime.timezone.utc).timestamp() - thresh.clock.t) < 1


def test_last_is_ok_right_after_creation_and_follows_each_value(db, thresh):
    def_id = define(db, thresh, "last(x) > 14", match_by=["dim_to_match"])
    dims = {"dim_to_match": "a"}
    thresh.metric("x", dims, 1.0)
    alarm_id, state = only(alarms(db, def_id))
    assert state == "OK" and sub_alarms(db, alarm_id)[0][3] == "OK"
    message, = thresh.messages()
    assert (message["oldState"], message["newState"]) == ("UNDETERMINED", "OK")
    assert message["stateChangeReason"] == NOT_EXCEEDED + "last(x) > 14.0 with the values: [1.0]"
    for value, old, new in [(20.0, "OK", "ALARM"), (3.0, "ALARM", "OK")]:
        thresh.clock.t += 1
        thresh.metric("x", dims, value)
        message, = thresh.messages()
        assert (message["oldState"], message["newState"]) == (old, new)
        assert message["subAlarms"][0]["currentValues"] == [value]
        assert alarms(db, def_id) == {alarm_id: new} and sub_alarms(db, alarm_id)[0][3] == new
    assert message["stateChangeReason"] == NOT_EXCEEDED + "last(x) > 14.0 with the values: [3.0]"


def test_deterministic_count_starts_ok_and_alarms_on_the_eleventh_value(db, thresh):
    """Tempest test_verify_deterministic_alarm (§5.2); match_by names a dimension the metric lacks."""
    def_id = define(db, thresh, "count(m{service=monitoring},deterministic) > 10", match_by=["hostname", "device"])
    dims = {"service": "monitoring", "hostname": "h1"}
    assert alarms(db, def_id) == {}
    for _ in range(5):
        thresh.clock.t += 0.1
        thresh.metric("m", dims, 1.0)
    alarm_id, state = only(alarms(db, def_id))
    assert state == "OK" and thresh.messages() == []
    (_, _, text, sub_state), = sub_alarms(db, alarm_id)
    assert (text, sub_state) == ("count(m{service=monitoring}, deterministic) > 10.0", "OK")
    assert api_parses(text).deterministic
    for _ in range(20):
        thresh.clock.t += 0.1
        thresh.metric("m", dims, 1.0)
    message, = thresh.messages()
    assert (message["oldState"], message["newState"]) == ("OK", "ALARM")
    assert message["stateChangeReason"] == \
        EXCEEDED + "count(m{service=monitoring}, deterministic) > 10.0 with the values: [11.0]"
    assert message["subAlarms"][0]["subAlarmExpression"]["deterministic"] is True
    assert alarms(db, def_id) == {alarm_id: "ALARM"} and alarm_metrics(db, alarm_id) == [("m", dims)]


@pytest.mark.parametrize("match_by, expected", [
    (["hostname"], [[("x", {"hostname": "h1", "service": "s"})], [("x", {"hostname": "h2", "service": "s"})]]),
    ([], [[("x", {"hostname": "h1", "service": "s"}), ("x", {"hostname": "h2", "service": "s"})]])])
def test_match_by_makes_one_alarm_per_value(db, thresh, match_by, expected):
    def_id = define(db, thresh, "max(x) > 1", match_by=match_by)
    for host in ("h1", "h2"):
        thresh.metric("x", {"hostname": host, "service": "s"}, 0.0)
    assert sorted((alarm_metrics(db, alarm_id) for alarm_id in alarms(db, def_id)), key=repr) == expected


def test_two_part_alarm_is_created_once_both_parts_are_seen(db, thresh):
    """Tempest test_create_alarms_with_sub_expressions_and_match_by (§4.3 waiting alarms)."""
    def_id = define(db, thresh, "max(cpu.idle_perc{service=monitoring}) < 10 or "
                                "max(cpu.user_perc{service=monitoring}) > 60", match_by=["hostname"])
    sads = sad_ids(db, def_id)
    for count, host in enumerate(["h1", "h2"]):
        dims = {"service": "monitoring", "hostname": host}
        thresh.metric("cpu.idle_perc", dims, 50.0)
        assert len(alarms(db, def_id)) == count
        thresh.metric("cpu.user_perc", dims, 10.0)
        assert len(alarms(db, def_id)) == count + 1
    assert thresh.messages() == []      # cpu.user_perc's term has not reported a state (§4.6)
    hosts = set()
    for alarm_id, state in alarms(db, def_id).items():
        metrics = alarm_metrics(db, alarm_id)
        assert [name for name, _ in metrics] == ["cpu.idle_perc", "cpu.user_perc"]
        assert metrics[0][1] == metrics[1][1]
        hosts.add(metrics[0][1]["hostname"])
        assert state == "UNDETERMINED"
        assert [row[1:3] for row in sub_alarms(db, alarm_id)] == [
            (sads["cpu.idle_perc"], "max(cpu.idle_perc{service=monitoring}) < 10.0"),
            (sads["cpu.user_perc"], "max(cpu.user_perc{service=monitoring}) > 60.0")]
    assert hosts == {"h1", "h2"}


def test_avg_changes_only_once_the_view_is_due(db, thresh):
    """Created at M+25: the view is [M, M+60) and is evaluated at t > M+60+30 (§4.4, §4.5)."""
    def_id = define(db, thresh, "avg(x) > 3")
    thresh.metric("x", {}, 5.0)
    alarm_id, _ = only(alarms(db, def_id))
    thresh.clock.t = M + 50
    thresh.metric("x", {}, 5.0)
    for t in (M + 60, M + 90):
        thresh.tick(t)
    assert thresh.messages() == [] and alarms(db, def_id) == {alarm_id: "UNDETERMINED"}
    thresh.tick(M + 91)
    message, = thresh.messages()
    assert (message["newState"], message["stateChangeReason"]) == \
        ("ALARM", EXCEEDED + "avg(x) > 3.0 with the values: [5.0]")
    thresh.clock.t = M + 100                          # the view slid to [M+60, M+120)
    thresh.metric("x", {}, 1.0)
    thresh.tick(M + 150)
    assert thresh.messages() == []
    thresh.tick(M + 151)
    message, = thresh.messages()
    assert (message["newState"], message["stateChangeReason"]) == \
        ("OK", NOT_EXCEEDED + "avg(x) > 3.0 with the values: [1.0]")
    thresh.tick(M + 211)                              # 1st empty view of max(1, 60/60) * 1 * 2
    assert thresh.messages() == []
    thresh.tick(M + 271)
    message, = thresh.messages()
    assert (message["oldState"], message["newState"], message["stateChangeReason"]) == \
        ("OK", "UNDETERMINED", NO_DATA + "avg(x) > 3.0")
    assert message["subAlarms"][0]["subAlarmState"] == "UNDETERMINED"
    assert alarms(db, def_id) == {alarm_id: "UNDETERMINED"}


def test_one_pass_stamps_each_transition_of_a_tenant_with_its_own_millisecond(db, thresh):
    """monasca-persister keys alarm_state_history by tenant and ms: one tick that moves
    a match_by fleet's alarms at once must not give two of them the same timestamp (#21)."""
    def_id = define(db, thresh, "avg(x) > 3", match_by=["hostname"])
    hosts = ["h1", "h2", "h3"]
    for host in hosts:
        thresh.metric("x", {"hostname": host}, 5.0)
    thresh.tick(M + 91)                                  # every view is due in this one pass
    stamps = [message["timestamp"] for message in thresh.messages()]
    assert len(stamps) == len(hosts) and len(set(stamps)) == len(hosts), stamps
    assert min(stamps) == (M + 91) * 1000 and max(stamps) < (M + 91) * 1000 + 1000, stamps
    assert set(alarms(db, def_id).values()) == {"ALARM"}


def test_avg_times_3_is_undetermined_on_the_eighth_evaluation_after_ok(db, thresh):
    """§4.5 worked example (SubAlarmStatsTest.shouldEvaluateAndSlideWindow), ticks 35 s after each view end."""
    def_id = define(db, thresh, "avg(x) > 3 times 3")
    for at, tick in [(M + 25, M + 95), (M + 100, M + 155), (M + 160, None)]:
        thresh.clock.t = at
        thresh.metric("x", {}, 5.0)
        if tick:
            thresh.tick(tick)
            assert thresh.messages() == []             # part of the view is empty
    thresh.tick(M + 215)
    message, = thresh.messages()
    assert (message["newState"], message["stateChangeReason"]) == \
        ("ALARM", EXCEEDED + "avg(x) > 3.0 times 3 with the values: [5.0, 5.0, 5.0]")
    thresh.clock.t = M + 220
    thresh.metric("x", {}, 1.0)
    thresh.tick(M + 275)
    message, = thresh.messages()
    assert (message["newState"], message["stateChangeReason"]) == \
        ("OK", NOT_EXCEEDED + "avg(x) > 3.0 times 3 with the values: [5.0, 5.0, 1.0]")
    for n in range(1, 8):
        thresh.tick(M + 275 + 60 * n)
        assert thresh.messages() == [], n
    thresh.tick(M + 275 + 60 * 8)
    message, = thresh.messages()
    assert (message["oldState"], message["newState"], message["stateChangeReason"]) == \
        ("OK", "UNDETERMINED", NO_DATA + "avg(x) > 3.0 times 3")
    assert alarms(db, def_id) == {only(alarms(db, def_id))[0]: "UNDETERMINED"}


def test_and_is_in_alarm_only_when_every_part_is(db, thresh):
    def_id = define(db, thresh, "last(a) > 10 and last(b) > 10", match_by=["hostname"])
    host = {"hostname": "h1"}
    thresh.metric("a", host, 20.0)
    thresh.metric("b", host, 1.0)
    message, = thresh.messages()
    assert (message["oldState"], message["newState"], message["stateChangeReason"]) == \
        ("UNDETERMINED", "OK", NOT_EXCEEDED + "last(b) > 10.0 with the values: [1.0]")
    thresh.clock.t += 1
    thresh.metric("b", host, 20.0)
    message, = thresh.messages()
    parts = ["last(a) > 10.0 with the values: [20.0]", "last(b) > 10.0 with the values: [20.0]"]
    assert message["newState"] == "ALARM"
    assert message["stateChangeReason"] in (EXCEEDED + ", ".join(parts), EXCEEDED + ", ".join(parts[::-1]))
    thresh.clock.t += 1
    thresh.metric("a", host, 5.0)
    message, = thresh.messages()
    assert (message["newState"], message["stateChangeReason"]) == \
        ("OK", NOT_EXCEEDED + "last(a) > 10.0 with the values: [5.0]")
    assert only(alarms(db, def_id))[1] == "OK"


def test_or_is_undetermined_when_any_part_is(db, thresh):
    """§4.6: any UNDETERMINED term makes the alarm UNDETERMINED, even beside an ALARM term of an OR."""
    def_id = define(db, thresh, "max(a) > 10 or last(b) > 10")
    thresh.metric("a", {}, 0.0)
    thresh.metric("b", {}, 20.0)
    assert thresh.messages() == []                     # max(a) has not reported yet
    thresh.tick(M + 91)                                # max(a)'s view [M, M+60) holds 0.0: OK
    message, = thresh.messages()
    assert (message["oldState"], message["newState"], message["stateChangeReason"]) == \
        ("UNDETERMINED", "ALARM", EXCEEDED + "last(b) > 10.0 with the values: [20.0]")
    thresh.tick(M + 151)
    assert thresh.messages() == []
    thresh.tick(M + 211)                               # the 2nd empty view of max(a)
    message, = thresh.messages()
    assert (message["oldState"], message["newState"], message["stateChangeReason"]) == \
        ("ALARM", "UNDETERMINED", NO_DATA + "max(a) > 10.0")
    assert sorted(s["subAlarmState"] for s in message["subAlarms"]) == ["ALARM", "UNDETERMINED"]
    assert only(alarms(db, def_id))[1] == "UNDETERMINED"


def test_deleted_alarm_is_made_again_by_continued_metrics(db, thresh):
    def_id = define(db, thresh, "max(x) > 0")
    thresh.metric("x", {"hostname": "h1"}, 1.0)        # the first value alarms the new alarm (§4.3 step 6)
    first, state = only(alarms(db, def_id))
    assert state == "ALARM" and thresh.messages()[0]["alarmId"] == first
    delete_alarm(db, thresh, first, def_id)
    assert alarms(db, def_id) == {}
    thresh.clock.t += 1
    thresh.metric("x", {"hostname": "h1"}, 1.0)
    second, state = only(alarms(db, def_id))
    assert second != first and state == "ALARM"
    message, = thresh.messages()
    assert (message["alarmId"], message["oldState"], message["newState"]) == (second, "UNDETERMINED", "ALARM")
    assert alarm_metrics(db, second) == [("x", {"hostname": "h1"})]


def test_deleted_definition_loses_its_alarms_and_makes_no_more(db, thresh):
    def_id = define(db, thresh, "max(x) > 0", match_by=["hostname"])
    for host, value in [("h1", 1.0), ("h2", 0.0)]:
        thresh.metric("x", {"hostname": host}, value)
    assert len(alarms(db, def_id)) == 2
    thresh.messages()
    with db.cursor() as cursor:                       # the API soft-deletes the definition
        cursor.execute("update alarm_definition set deleted_at = %s where id = %s",
                       (datetime.datetime.utcnow(), def_id))
    thresh.event("alarm-definition-deleted", {
        "alarmDefinitionId": def_id,
        "subAlarmMetricDefinitions": {sad_ids(db, def_id)["x"]: {"name": "x", "dimensions": {}}}})
    assert alarms(db, def_id) == {}                    # thresh deletes them too (§3.3)
    for host in ("h1", "h3"):
        thresh.clock.t += 1
        thresh.metric("x", {"hostname": host}, 1.0)
    assert alarms(db, def_id) == {} and thresh.messages() == []


@pytest.mark.parametrize("before, after, text, initial", [
    ("max(x) > 10", "max(x) > 3", "max(x) > 3.0", "UNDETERMINED"),
    # the API's event has no `deterministic`: the flag is kept from the definition rows (§3.3)
    ("max(x, deterministic) > 10", "max(x, deterministic) > 3", "max(x, deterministic) > 3.0", "OK")])
def test_threshold_update_rewrites_sub_alarms_and_reevaluates(db, thresh, before, after, text, initial):
    def_id = define(db, thresh, before, match_by=["hostname"])
    thresh.metric("x", {"hostname": "h1"}, 5.0)
    alarm_id, state = only(alarms(db, def_id))
    assert state == initial and thresh.messages() == []
    update_definition(db, thresh, def_id, after, name="renamed", severity="CRITICAL")
    assert sub_alarms(db, alarm_id)[0][2] == text and api_parses(text).threshold == 3.0
    thresh.tick(thresh.clock.t)                         # the next evaluation; the 5.0 is kept (§4.7)
    message, = thresh.messages()
    assert (message["oldState"], message["newState"], message["stateChangeReason"]) == \
        (initial, "ALARM", EXCEEDED + text + " with the values: [5.0]")
    assert (message["alarmName"], message["severity"]) == ("renamed", "CRITICAL")
    assert message["subAlarms"][0]["subAlarmExpression"]["threshold"] == 3.0
    assert alarms(db, def_id) == {alarm_id: "ALARM"}


def test_restart_keeps_states_and_resends_nothing_for_unchanged_data(db, thresh, thresh_login):
    max_def = define(db, thresh, "max(x) > 0", match_by=["hostname"])
    last_def = define(db, thresh, "last(y) > 14")
    data = [("x", {"hostname": "h1"}, 1.0), ("x", {"hostname": "h2"}, 0.0), ("y", {}, 1.0)]
    for name, dims, value in data:
        thresh.metric(name, dims, value)
    assert len(thresh.messages()) == 2
    before = {**alarms(db, max_def), **alarms(db, last_def)}
    assert sorted(before.values()) == ["ALARM", "OK", "UNDETERMINED"]

    second = Thresh(thresh_login, Clock(thresh.clock.t + 5))
    try:
        assert second.messages() == []
        for name, dims, value in data:
            second.metric(name, dims, value)
        assert second.messages() == []
        assert {**alarms(db, max_def), **alarms(db, last_def)} == before
        second.metric("y", {}, 20.0)
        second.metric("x", {"hostname": "h2"}, 1.0)
        assert [(m["oldState"], m["newState"]) for m in second.messages()] == \
            [("OK", "ALARM"), ("UNDETERMINED", "ALARM")]
        assert len(alarms(db, max_def)) == 2 and len(alarms(db, last_def)) == 1
    finally:
        second.store.conn.close()
