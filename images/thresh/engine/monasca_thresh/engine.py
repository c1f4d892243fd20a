"""The threshold engine: metrics and events in, alarms and state transitions out.

Single-threaded and I/O-free: the store (MySQL) and publish (Kafka) are
handed in, so the same engine runs in the service and in tests. The flow of
one metric follows monasca-thresh's topology:

1. filtering: does it fit a term of a definition of its tenant?
2. creation: the first time a metric fits a definition, find or make its
   alarm (match_by, waiting alarms for multi-term expressions);
3. aggregation: add it to the window of every sub-alarm it feeds, evaluate;
4. thresholding: combine the sub-alarm states; a change makes an
   alarm-transitioned message, held until `flush`.

`flush` publishes the held messages (all acknowledged, or it raises) and
then records their states in MySQL in one transaction: the service calls it
once per batch of messages, before it stores their offsets, so a storm of
transitions costs one round trip to each, not one per alarm.
"""
from __future__ import annotations

import collections
import logging
import time

from . import messages
from .model import ALARM, OK, UNDETERMINED, Alarm, Definition, Metric, SubAlarm

LOG = logging.getLogger(__name__)
CAUGHT_UP_LAG = 10          # s: metrics this fresh mean the backlog is consumed
BEHIND_GRACE = 300          # s: ticks skip evaluation at most this long after start


class Engine:
    def __init__(self, store, publish, *, delay: int = 30, clock=time.time):
        self.store, self.publish, self.delay, self.clock = store, publish, delay, clock
        self.definitions: dict[str, Definition] = {}
        self.index: dict[tuple[str, str], set[str]] = collections.defaultdict(set)  # (tenant, name) -> def ids
        self.alarms: dict[str, Alarm] = {}
        self.by_definition: dict[str, SavedAlarms] = collections.defaultdict(SavedAlarms)
        self.waiting: dict[str, list[Alarm]] = collections.defaultdict(list)
        self.found: set[tuple[str, Metric, str]] = set()      # (tenant, metric, def id) already handled
        self.routes: dict[tuple[str, Metric], list[SubAlarm]] = collections.defaultdict(list)
        self.fitting: dict[tuple[str, Metric], list[Definition]] = {}   # cleared when definitions change
        self.latest: dict[tuple[str, Metric], tuple[float, float]] = {}   # last (value, seconds) seen
        self.outbox: list[tuple[str, bytes, str, int]] = []   # (alarm id, message, state, ms)
        self.last_states: dict[str, SubAlarm] = {}               # last() sub-alarms to record
        self.stamped: dict[str, int] = {}                        # tenant -> last transition's ms
        self.started = clock()
        self.caught_up = False
        self.transitions = 0

    # --- start ----------------------------------------------------------
    def load(self) -> None:
        """Definitions, alarms and their metrics from MySQL; windows start empty."""
        for definition in self.store.definitions():
            self._add_definition(definition)
        now = self.clock()
        for alarm in self.store.alarms(self.definitions):
            self._keep(alarm)
            for metric in alarm.metrics:
                self.found.add((alarm.definition.tenant_id, metric, alarm.definition.id))
                self._route(alarm, metric, now)
        LOG.info("loaded %d definitions and %d alarms", len(self.definitions), len(self.alarms))

    # --- metrics --------------------------------------------------------
    def on_metric(self, tenant: str, metric: Metric, value: float, timestamp_ms: int,
                  creation_time: float | None = None) -> None:
        now = self.clock()
        if not self.caught_up and creation_time is not None and now - creation_time <= CAUGHT_UP_LAG:
            self.caught_up = True
        key, seconds = (tenant, metric), timestamp_ms // 1000
        fitting = self.fitting.get(key)
        if fitting is None:
            candidates = self.index.get((tenant, metric.name))
            if not candidates:
                return
            fitting = self.fitting[key] = [self.definitions[d] for d in candidates
                                           if self.definitions[d].fits(metric)]
        if not fitting:
            return
        routed = list(self.routes.get(key, ()))
        self.latest[key] = (value, seconds)      # new sub-alarms of this metric start from it
        for definition in fitting:
            if (tenant, metric, definition.id) not in self.found:
                self.found.add((tenant, metric, definition.id))
                self._create(definition, metric, now)
        for sub_alarm in routed:
            if not sub_alarm.add(value, seconds):
                LOG.debug("metric %s at %s is outside the window of %s", metric, seconds, sub_alarm.id)
            if sub_alarm.evaluate_and_slide(seconds, self.delay):
                self._threshold(sub_alarm)

    def tick(self) -> None:
        """The 60 s evaluation: windows without fresh metrics move on too."""
        now = self.clock()
        behind = not self.caught_up and now - self.started < BEHIND_GRACE
        for alarm in list(self.alarms.values()):
            for sub_alarm in alarm.sub_alarms:
                if sub_alarm.window is None:
                    continue
                if behind:
                    sub_alarm.window.slide(now, self.delay)
                elif sub_alarm.evaluate_and_slide(now, self.delay):
                    self._threshold(sub_alarm)

    # --- creation -------------------------------------------------------
    def _create(self, definition: Definition, metric: Metric, now: float) -> None:
        saved = self.by_definition[definition.id]
        routed = self.routes.get((definition.tenant_id, metric), ())
        if any(s.alarm_id in saved.alarms for s in routed) or \
                any(metric in a.metrics for a in self.waiting[definition.id]):
            return
        joined = saved.first() if not definition.match_by else saved.fitting(metric, definition.match_by)
        for alarm in joined:
            self.store.add_alarmed_metric(alarm, metric)
            alarm.metrics.add(metric)
            saved.index(alarm)
            self._route(alarm, metric, now)
        if joined:
            return
        waiting = [a for a in self.waiting[definition.id] if a.fits(metric)]
        if not waiting:
            alarm = Alarm.new(definition)
            alarm.metrics.add(metric)
            if not alarm.is_complete():      # the other terms' metrics may be in other alarms
                for other in [m for a in saved.alarms.values() for m in a.metrics]:
                    if alarm.fits(other):
                        alarm.metrics.add(other)
            if not alarm.is_complete():
                self.waiting[definition.id].append(alarm)
                return
            waiting = [alarm]
        else:
            for alarm in waiting:
                alarm.metrics.add(metric)
        for alarm in waiting:
            if alarm.is_complete():
                if alarm in self.waiting[definition.id]:
                    self.waiting[definition.id].remove(alarm)
                self._save(alarm, now)

    def _save(self, alarm: Alarm, now: float) -> None:
        self.store.create_alarm(alarm, now)
        self._keep(alarm)
        for metric in alarm.metrics:
            self._route(alarm, metric, now)

    def _route(self, alarm: Alarm, metric: Metric, now: float) -> None:
        """Feed metric to the sub-alarms of alarm it fits; replay its latest value to new ones."""
        key, dims = (alarm.definition.tenant_id, metric), metric.dims
        for sub_alarm in alarm.sub_alarms:
            if not sub_alarm.expression.fits(metric.name, dims) or sub_alarm in self.routes[key]:
                continue
            if sub_alarm.window is None:
                sub_alarm.start_window(now)
            self.routes[key].append(sub_alarm)
            if key in self.latest:
                value, seconds = self.latest[key]
                sub_alarm.add(value, seconds)
                if sub_alarm.evaluate_and_slide(seconds, self.delay):
                    self._threshold(sub_alarm)

    # --- thresholding ---------------------------------------------------
    def _threshold(self, sub_alarm: SubAlarm) -> None:
        alarm = self.alarms.get(sub_alarm.alarm_id)
        if alarm is None:
            return
        if sub_alarm.expression.function == "LAST":
            self.last_states[sub_alarm.id] = sub_alarm
        new_state = alarm.report(sub_alarm)
        if new_state is None:
            return
        timestamp_ms = self._stamp(alarm.definition.tenant_id)
        message = messages.transition(alarm, alarm.state, new_state, timestamp_ms)
        self.outbox.append((alarm.id, message, new_state, timestamp_ms))
        alarm.state = new_state
        self.transitions += 1

    def _stamp(self, tenant: str) -> int:
        """Now in ms, but later than the tenant's previous transition: monasca-persister
        keys alarm_state_history by tenant and millisecond, so two transitions of one
        tenant with one stamp (a pass over a match_by fleet) would keep only the last.
        A storm of N transitions runs at most N ms ahead of the clock."""
        stamp = max(int(self.clock() * 1000), self.stamped.get(tenant, 0) + 1)
        self.stamped[tenant] = stamp
        return stamp

    def flush(self) -> None:
        """Publish the held transitions, then record them in MySQL (see service.reconcile)."""
        if not self.outbox and not self.last_states:
            return
        outbox, sub_alarms = self.outbox, list(self.last_states.values())
        self.outbox, self.last_states = [], {}
        if outbox:
            self.publish([(alarm_id, message) for alarm_id, message, _, _ in outbox])
        self.store.update_states([(alarm_id, state, ms) for alarm_id, _, state, ms in outbox], sub_alarms)

    # --- events ---------------------------------------------------------
    def on_event(self, kind: str, body: dict) -> None:
        handler = getattr(self, "_" + kind.replace("-", "_"))
        handler(body)

    def _alarm_definition_created(self, body):
        definition = self.store.definition(body["alarmDefinitionId"])
        if definition is not None:
            self._add_definition(definition)

    def _alarm_definition_updated(self, body):
        definition = self.store.definition(body["alarmDefinitionId"])
        if definition is None:
            return
        self._add_definition(definition)
        now = self.clock()
        changed = set()
        for alarm in [*self.by_definition[definition.id].alarms.values(), *self.waiting[definition.id]]:
            alarm.definition = definition
            for sub_alarm in alarm.sub_alarms:
                new = definition.sub_expressions.get(sub_alarm.sad_id)
                if new is not None and new != sub_alarm.expression:
                    sub_alarm.update_expression(new, now)
                    changed.add(sub_alarm.sad_id)
        for sad_id in sorted(changed):
            self.store.update_sub_alarm_expressions(sad_id, definition.sub_expressions[sad_id])

    def _alarm_definition_deleted(self, body):
        definition_id = body["alarmDefinitionId"]
        self._drop_definition(definition_id)
        for alarm in list(self.by_definition[definition_id].alarms.values()):
            self._forget(alarm)
        self.waiting.pop(definition_id, None)
        self.store.delete_alarms_of_definition(definition_id)

    def _alarm_deleted(self, body):
        alarm = self.alarms.get(body["alarmId"])
        if alarm is not None:
            self._forget(alarm)

    def _alarm_updated(self, body):
        """A state, link or lifecycle set through the API; the terms report again."""
        alarm = self.alarms.get(body["alarmId"])
        if alarm is None:
            return
        if body.get("alarmState") in (OK, ALARM, UNDETERMINED):
            alarm.state = body["alarmState"]
        alarm.link, alarm.lifecycle_state = body.get("link"), body.get("lifecycleState")
        for sub_alarm in alarm.sub_alarms:
            sub_alarm.no_state = True

    # --- bookkeeping ----------------------------------------------------
    def _add_definition(self, definition: Definition) -> None:
        self._drop_definition(definition.id, keep_found=True)
        self.fitting.clear()
        self.definitions[definition.id] = definition
        for sub in definition.sub_expressions.values():
            self.index[(definition.tenant_id, sub.metric_name)].add(definition.id)

    def _drop_definition(self, definition_id: str, keep_found=False) -> None:
        old = self.definitions.pop(definition_id, None)
        self.fitting.clear()
        for sub in old.sub_expressions.values() if old else ():
            self.index[(old.tenant_id, sub.metric_name)].discard(definition_id)
        if not keep_found:
            self.found = {f for f in self.found if f[2] != definition_id}

    def _keep(self, alarm: Alarm) -> None:
        self.alarms[alarm.id] = alarm
        self.by_definition[alarm.definition.id].add(alarm)

    def _forget(self, alarm: Alarm) -> None:
        """Drop an alarm the API deleted; its metrics will make a new one if they go on."""
        self.alarms.pop(alarm.id, None)
        self.by_definition[alarm.definition.id].remove(alarm)
        tenant = alarm.definition.tenant_id
        for metric in alarm.metrics:
            self.found.discard((tenant, metric, alarm.definition.id))
            routed = self.routes.get((tenant, metric), [])
            routed[:] = [s for s in routed if s.alarm_id != alarm.id]


class SavedAlarms:
    """The saved alarms of one definition, found by the match_by values of their metrics."""

    def __init__(self):
        self.alarms: dict[str, Alarm] = {}
        self.by_value: dict[tuple[str, str], set[str]] = collections.defaultdict(set)
        self.unkeyed: set[str] = set()        # alarms none of whose metrics has a match_by key

    def add(self, alarm: Alarm) -> None:
        self.alarms[alarm.id] = alarm
        self.index(alarm)

    def index(self, alarm: Alarm) -> None:
        """(Re)file alarm under its match_by values; they only grow as metrics join."""
        values = alarm.match_values()
        for pair in values.items():
            self.by_value[pair].add(alarm.id)
        if values:
            self.unkeyed.discard(alarm.id)
        else:
            self.unkeyed.add(alarm.id)

    def remove(self, alarm: Alarm) -> None:
        self.alarms.pop(alarm.id, None)
        self.unkeyed.discard(alarm.id)
        for pair in alarm.match_values().items():
            self.by_value[pair].discard(alarm.id)

    def first(self) -> list[Alarm]:
        return list(self.alarms.values())[:1]

    def fitting(self, metric: Metric, match_by: list[str]) -> list[Alarm]:
        """The alarms metric joins: only those sharing one of its match_by values can."""
        ids = set(self.unkeyed)
        for key in match_by:
            if key in metric.dims:
                ids |= self.by_value.get((key, metric.dims[key]), set())
        return [self.alarms[i] for i in sorted(ids) if self.alarms[i].fits(metric)]
