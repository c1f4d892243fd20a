"""The `mon` schema in MySQL: definitions are read, alarms are written as monasca-thresh did.

The API reads alarms through inner joins over alarm_metric and the
metric_definition* tables, keyed by SHA-1 ids; those ids are computed here
exactly as upstream's engine computed them, so rows are shared, not doubled.
"""
from __future__ import annotations

import collections
import datetime
import hashlib
import logging
import ssl as tls

import pymysql

from . import expression as expr
from .model import Alarm, Definition, Metric, SubAlarm

LOG = logging.getLogger(__name__)
REGION = ""         # upstream never recorded a region


def _trunc(text) -> str:
    return (text or "")[:255]


def _java_order(text: str) -> bytes:
    """Sort key of Java's String order (UTF-16 code units)."""
    return text.encode("utf-16-be")


def metric_definition_id(tenant: str, metric: Metric) -> bytes:
    return hashlib.sha1((_trunc(metric.name) + _trunc(tenant) + _trunc(REGION)).encode()).digest()


def dimension_set_id(metric: Metric) -> bytes:
    text = "".join(_trunc(k) + _trunc(v) for k, v in sorted(metric.dimensions, key=lambda kv: _java_order(kv[0]))
                   if k and v)
    return hashlib.sha1(text.encode()).digest()


def definition_dimensions_id(tenant: str, metric: Metric) -> bytes:
    text = metric_definition_id(tenant, metric).hex() + dimension_set_id(metric).hex()
    return hashlib.sha1(text.encode()).digest()


def _utc(seconds: float) -> datetime.datetime:
    stamp = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).replace(tzinfo=None)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


class Store:
    def __init__(self, *, host, port, database, user, password, ssl=False):
        self._connect = dict(host=host, port=int(port), database=database, user=user,
                             password=password, charset="utf8mb4", autocommit=True,
                             # verified against the system's CAs, or SSL_CERT_FILE's
                             ssl=tls.create_default_context() if ssl else None, connect_timeout=10)
        self.conn = pymysql.connect(**self._connect)

    def _cursor(self):
        self.conn.ping(reconnect=True)
        return self.conn.cursor()

    def _write(self, statements) -> None:
        """Run (sql, args) pairs in one transaction."""
        with self._cursor() as cursor:
            self.conn.begin()
            try:
                for sql, args in statements:
                    cursor.execute(sql, args)
                self.conn.commit()
            except Exception:
                self.conn.rollback()
                raise

    # --- reads ------------------------------------------------------------
    def definitions(self, definition_id: str | None = None) -> list[Definition]:
        where, args = ("and ad.id = %s", (definition_id,)) if definition_id else ("", ())
        with self._cursor() as cursor:
            cursor.execute(
                "select ad.id, ad.tenant_id, ad.name, ad.description, ad.severity, ad.match_by,"
                " ad.actions_enabled, ad.expression, sad.id, sad.function, sad.metric_name,"
                " sad.operator, sad.threshold, sad.period, sad.periods, sad.is_deterministic,"
                " sadd.dimension_name, sadd.value"
                " from alarm_definition ad join sub_alarm_definition sad on sad.alarm_definition_id = ad.id"
                " left join sub_alarm_definition_dimension sadd on sadd.sub_alarm_definition_id = sad.id"
                f" where ad.deleted_at is null {where} order by ad.created_at, ad.id, sad.id", args)
            rows = cursor.fetchall()
        heads, terms = {}, collections.defaultdict(dict)
        for row in rows:
            heads.setdefault(row[0], row[:8])
            term = terms[row[0]].setdefault(row[8], {"row": row[9:16], "dims": {}})
            if row[16] is not None:
                term["dims"][row[16]] = row[17]
        result = []
        for def_id, (_, tenant, name, description, severity, match_by, enabled, text) in heads.items():
            subs = {sad_id: expr.SubExpression.build(fn, metric, t["dims"], op, threshold, period,
                                                     periods, bool(deterministic))
                    for sad_id, t in terms[def_id].items()
                    for fn, metric, op, threshold, period, periods, deterministic in [t["row"]]}
            try:
                result.append(Definition(def_id, tenant, name, description or "", severity,
                                         [k for k in (match_by or "").split(",") if k],
                                         bool(enabled), text, subs))
            except ValueError as exc:
                LOG.error("skipping alarm definition %s: %s", def_id, exc)
        return result

    def definition(self, definition_id: str) -> Definition | None:
        found = self.definitions(definition_id)
        return found[0] if found else None

    def alarms(self, definitions: dict[str, Definition]) -> list[Alarm]:
        """Every alarm of a live definition, with its sub-alarms and metrics."""
        with self._cursor() as cursor:
            cursor.execute(
                "select a.id, a.alarm_definition_id, a.state, sa.id, sa.sub_expression_id, sa.state"
                " from alarm a join sub_alarm sa on sa.alarm_id = a.id order by a.id, sa.id")
            sub_rows = cursor.fetchall()
            cursor.execute(
                "select am.alarm_id, md.name, mdd.id, mdim.name, mdim.value from alarm_metric am"
                " join metric_definition_dimensions mdd on mdd.id = am.metric_definition_dimensions_id"
                " join metric_definition md on md.id = mdd.metric_definition_id"
                " left join metric_dimension mdim on mdim.dimension_set_id = mdd.metric_dimension_set_id")
            metric_rows = cursor.fetchall()
        alarms = {}
        for alarm_id, def_id, state, sub_id, sad_id, sub_state in sub_rows:
            definition = definitions.get(def_id)
            if definition is None or sad_id not in definition.sub_expressions:
                continue
            alarm = alarms.setdefault(alarm_id, Alarm(alarm_id, definition, state, sub_alarms=[]))
            alarm.sub_alarms.append(SubAlarm(sub_id, alarm_id, sad_id,
                                             definition.sub_expressions[sad_id], sub_state))
        dims = collections.defaultdict(dict)
        for alarm_id, name, mdd_id, dim_name, dim_value in metric_rows:
            entry = dims[(alarm_id, name, mdd_id)]
            if dim_name is not None:
                entry[dim_name] = dim_value
        for (alarm_id, name, _), dimensions in dims.items():
            if alarm_id in alarms:
                alarms[alarm_id].metrics.add(Metric.of(name, dimensions))
        return list(alarms.values())

    # --- writes -----------------------------------------------------------
    def create_alarm(self, alarm: Alarm, now: float) -> None:
        stamp = _utc(now)
        statements = [("insert into alarm (id, alarm_definition_id, state, state_updated_at,"
                       " created_at, updated_at) values (%s, %s, %s, %s, %s, %s)",
                       (alarm.id, alarm.definition.id, alarm.state, stamp, stamp, stamp))]
        statements += [("insert into sub_alarm (id, alarm_id, sub_expression_id, expression, state,"
                         " created_at, updated_at) values (%s, %s, %s, %s, %s, %s, %s)",
                         (s.id, alarm.id, s.sad_id, s.expression.expression, s.state, stamp, stamp))
                       for s in alarm.sub_alarms]
        for metric in sorted(alarm.metrics, key=lambda m: (m.name, m.dimensions)):
            statements += self._alarmed_metric(alarm, metric)
        self._write(statements)

    def add_alarmed_metric(self, alarm: Alarm, metric: Metric) -> None:
        self._write(self._alarmed_metric(alarm, metric))

    @staticmethod
    def _alarmed_metric(alarm: Alarm, metric: Metric) -> list:
        tenant = alarm.definition.tenant_id
        md_id, set_id = metric_definition_id(tenant, metric), dimension_set_id(metric)
        return [
            ("insert into metric_definition (id, name, tenant_id, region) values (%s, %s, %s, %s)"
             " on duplicate key update id = id", (md_id, metric.name, tenant, REGION)),
            *[("insert into metric_dimension (dimension_set_id, name, value) values (%s, %s, %s)"
               " on duplicate key update dimension_set_id = dimension_set_id", (set_id, k, v))
              for k, v in metric.dimensions],
            ("insert into metric_definition_dimensions (id, metric_definition_id,"
             " metric_dimension_set_id) values (%s, %s, %s) on duplicate key update id = id",
             (definition_dimensions_id(tenant, metric), md_id, set_id)),
            ("insert ignore into alarm_metric (alarm_id, metric_definition_dimensions_id)"
             " values (%s, %s)", (alarm.id, definition_dimensions_id(tenant, metric))),
        ]

    def update_states(self, alarms: list[tuple[str, str, int]], sub_alarms: list[SubAlarm]) -> None:
        """New states in one transaction: (alarm id, state, ms) of alarms, and last() sub-alarms'."""
        now = _utc(datetime.datetime.now().timestamp())
        self._write([*(("update alarm set state = %s, state_updated_at = %s, updated_at = %s where id = %s",
                        (state, _utc(ms / 1000), _utc(ms / 1000), alarm_id)) for alarm_id, state, ms in alarms),
                     *(("update sub_alarm set state = %s, updated_at = %s where id = %s",
                        (sub.state, now, sub.id)) for sub in sub_alarms)])

    def update_sub_alarm_expressions(self, sad_id: str, sub: expr.SubExpression) -> None:
        self._write([("update sub_alarm set expression = %s where sub_expression_id = %s",
                      (sub.expression, sad_id))])

    def delete_alarms_of_definition(self, definition_id: str) -> None:
        self._write([("delete from alarm where alarm_definition_id = %s", (definition_id,))])

    def alarm_states(self) -> dict[str, tuple[str, datetime.datetime]]:
        """(state, state_updated_at) of every alarm, for reconciling with Kafka at start."""
        with self._cursor() as cursor:
            cursor.execute("select id, state, state_updated_at from alarm")
            return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
