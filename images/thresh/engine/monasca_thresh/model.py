"""Definitions, alarms and sub-alarms, and the rules that move their states."""
from __future__ import annotations

import dataclasses
import functools
import uuid

from . import expression as expr
from .window import SlidingWindow

OK, ALARM, UNDETERMINED = "OK", "ALARM", "UNDETERMINED"
UNDETERMINED_COEFFICIENT = 2


@dataclasses.dataclass(frozen=True)
class Metric:
    """A metric definition: a name and its dimensions (sorted), without a tenant."""
    name: str
    dimensions: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, name: str, dimensions: dict) -> Metric:
        return cls(name, tuple(sorted(dimensions.items())))

    @functools.cached_property
    def dims(self) -> dict:
        return dict(self.dimensions)
    def to_json(self) -> dict:
        return {"id": None, "name": self.name, "dimensions": self.dims}


@dataclasses.dataclass
class Definition:
    id: str
    tenant_id: str
    name: str
    description: str
    severity: str
    match_by: list[str]
    actions_enabled: bool
    expression: str
    sub_expressions: dict[str, expr.SubExpression]   # by sub_alarm_definition.id
    tree: object = None
    leaf_ids: dict = dataclasses.field(default_factory=dict)   # tree leaf -> sub_alarm_definition.id

    def __post_init__(self):
        self.tree = expr.parse(self.expression)
        by_value = {sub: sad_id for sad_id, sub in self.sub_expressions.items()}
        for leaf in expr.leaves(self.tree):
            if leaf not in by_value:
                raise ValueError(f"alarm definition {self.id}: term {leaf.expression!r} of "
                                 f"{self.expression!r} has no sub_alarm_definition row")
            self.leaf_ids[leaf] = by_value[leaf]

    def fits(self, metric: Metric) -> bool:
        dims = metric.dims
        return any(sub.fits(metric.name, dims) for sub in self.sub_expressions.values())


class SubAlarm:
    """One term of one alarm, with the window of its measurements."""

    def __init__(self, id: str, alarm_id: str, sad_id: str, expression: expr.SubExpression,
                 state: str | None = None):
        self.id, self.alarm_id, self.sad_id = id, alarm_id, sad_id
        self.expression = expression
        self.state = state or (OK if expression.deterministic else UNDETERMINED)
        self.current_values: list[float] = []
        self.window: SlidingWindow | None = None
        self.no_state = True          # report the next evaluation even if the state is the same
        self.empty_observations = 0

    def start_window(self, now: float) -> None:
        e = self.expression
        self.window = SlidingWindow(e.function, e.period, e.periods, now)
        self.no_state = True
        self.empty_observations = 0

    @property
    def empty_threshold(self) -> int:
        minutes = max(1, self.expression.period // 60)
        return minutes * self.expression.periods * UNDETERMINED_COEFFICIENT

    def add(self, value: float, timestamp: float) -> bool:
        return self.window.add(value, timestamp, force_first=self.expression.function == "LAST")

    def evaluate_and_slide(self, now: float, delay: int) -> bool:
        """Evaluate at `now` (seconds), then slide; True when the state is to be reported."""
        try:
            return self._evaluate(now, delay)
        finally:
            self.window.slide(now, delay)

    def _evaluate(self, now, delay) -> bool:
        due = self.window.should_evaluate(now, delay)
        new_state = self._immediate_alarm() or self._immediate_ok()
        if new_state is None:
            if not due or self.expression.function == "LAST":
                return False
            new_state = self._from_view()
        if new_state is None or (new_state == self.state and not self.no_state):
            return False
        self.state, self.no_state = new_state, False
        return True

    def _immediate_alarm(self):
        """ALARM as soon as `periods` consecutive slots breach, the future slots included."""
        if not self.expression.alarms_immediately:
            return None
        values, breaches, periods = self.window.values(), self.expression.breaches, self.expression.periods
        run = 0
        for end, value in enumerate(values, 1):
            run = run + 1 if value == value and breaches(value) else 0     # NaN != NaN: empty slot
            if run == periods:
                self.current_values = values[end - run:end]
                return ALARM
        return None

    def _immediate_ok(self):
        """OK as soon as one slot does not breach, for aggregates that cannot come back."""
        if not self.expression.clears_immediately:
            return None
        for value in self.window.values():
            if value == value and not self.expression.breaches(value):
                self.current_values = [value]
                return OK
        return None

    def _from_view(self):
        seen, breached, empty = [], False, False
        for value in self.window.view_values():
            if value != value:          # NaN: an empty slot
                empty = True
                continue
            seen.append(value)
            self.empty_observations = 0
            if not self.expression.breaches(value):
                self.current_values = seen
                return OK
            breached = True
        self.current_values = seen
        if breached and not empty:
            return ALARM
        self.empty_observations += 1
        if self.expression.deterministic:
            return OK
        return UNDETERMINED if self.empty_observations >= self.empty_threshold else None

    def update_expression(self, new: expr.SubExpression, now: float) -> None:
        """A changed term: keep the measurements when they still mean the same thing."""
        compatible = self.expression.compatible(new)
        self.expression = new
        if self.window is not None and not compatible:
            self.start_window(now)
        self.no_state = True

    def transition_json(self) -> dict:
        return {"subAlarmExpression": self.expression.to_json(), "subAlarmState": self.state,
                "currentValues": list(self.current_values)}


class Alarm:
    def __init__(self, id: str, definition: Definition, state: str | None = None,
                 sub_alarms: list[SubAlarm] | None = None):
        self.id, self.definition = id, definition
        self.sub_alarms = sub_alarms if sub_alarms is not None else [
            SubAlarm(str(uuid.uuid4()), id, sad_id, sub)
            for sad_id, sub in sorted(definition.sub_expressions.items())]
        self.state = state or (OK if all(s.expression.deterministic for s in self.sub_alarms)
                               else UNDETERMINED)
        self.metrics: set[Metric] = set()
        self.link = self.lifecycle_state = None
        self.reported: set[str] = set()       # sub-alarms heard from since load

    @classmethod
    def new(cls, definition: Definition) -> Alarm:
        return cls(str(uuid.uuid4()), definition)

    def is_complete(self) -> bool:
        """Every term has a metric: only then is a multi-term alarm saved."""
        return all(any(s.expression.fits(m.name, m.dims) for m in self.metrics)
                   for s in self.sub_alarms)

    def fits(self, metric: Metric) -> bool:
        """Whether metric belongs to this alarm under the definition's match_by."""
        dims = metric.dims
        if not any(s.expression.fits(metric.name, dims) for s in self.sub_alarms):
            return False
        matches = self.match_values()
        if not matches:
            return True
        shared = [k for k in matches if k in dims]
        return bool(shared) and all(dims[k] == matches[k] for k in shared)

    def match_values(self) -> dict[str, str]:
        """The match_by dimensions of the alarm's metrics: what a joining metric must agree with."""
        match_by = self.definition.match_by
        return {k: v for m in self.metrics for k, v in m.dimensions if k in match_by}

    def report(self, sub_alarm: SubAlarm) -> str | None:
        """Take a sub-alarm's reported state; the alarm's new state when it changes."""
        self.reported.add(sub_alarm.id)
        if any(s.id not in self.reported for s in self.sub_alarms if s.expression.function != "LAST"):
            return None
        new_state = self.combined_state()
        return new_state if new_state != self.state else None

    def combined_state(self) -> str:
        if any(s.state == UNDETERMINED for s in self.sub_alarms):
            return UNDETERMINED
        alarmed = {s.sad_id for s in self.sub_alarms if s.state == ALARM}
        holds = expr.evaluate(self.definition.tree,
                              lambda leaf: self.definition.leaf_ids[leaf] in alarmed)
        return ALARM if holds else OK

    def reason(self, new_state: str) -> str:
        subs = [s for s in self.sub_alarms if s.state == new_state]
        if new_state == UNDETERMINED:
            return "No data was present for the sub-alarms: " + \
                ", ".join(s.expression.expression for s in subs)
        terms = ", ".join(f"{s.expression.expression} with the values: {expr.java_list(s.current_values)}"
                          for s in subs)
        if new_state == ALARM:
            return "Thresholds were exceeded for the sub-alarms: " + terms
        return "The alarm threshold(s) have not been exceeded for the sub-alarms: " + terms
