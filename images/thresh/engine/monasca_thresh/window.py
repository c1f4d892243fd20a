"""The sliding window of one sub-alarm: `periods` view slots and two future slots.

Times are seconds. Slots are `period` wide and aligned on whole minutes; the
view ends (exclusive) at `view_end`, and two more slots after it take values
that arrive early. Sliding recycles the oldest slots as new future slots.
The slots form a ring, as in monasca-thresh, because `last()` values always
go to the ring's first physical slot wherever the window has slid.
"""
from __future__ import annotations

import math

FUTURE_SLOTS = 2
NAN = math.nan


def floor_minute(seconds: float) -> int:
    return int(seconds) // 60 * 60


class Statistic:
    """One slot's aggregate of one function; NaN until a value arrives."""
    __slots__ = ("function", "count", "total", "low", "high", "last", "last_time")

    def __init__(self, function: str):
        self.function = function
        self.last_time = -math.inf      # never reset: an older `last` never wins
        self.reset()

    def reset(self):
        self.count, self.total, self.low, self.high, self.last = 0, 0.0, math.inf, -math.inf, NAN

    def add(self, value: float, timestamp: float):
        self.count += 1
        self.total += value
        self.low, self.high = min(self.low, value), max(self.high, value)
        if timestamp >= self.last_time:
            self.last, self.last_time = value, timestamp

    def value(self) -> float:
        function = self.function
        if self.count == 0:
            return NAN
        if function == "AVG":
            return self.total / self.count
        if function == "MAX":
            return self.high
        if function == "MIN":
            return self.low
        if function == "SUM":
            return self.total
        return float(self.count) if function == "COUNT" else self.last


class SlidingWindow:
    def __init__(self, function: str, period: int, periods: int, now: float):
        self.period, self.periods = period, periods
        self.slots = [Statistic(function) for _ in range(periods + FUTURE_SLOTS)]
        self.begin = 0                              # physical index of the oldest slot
        self.view_end = floor_minute(now + period)  # the slot holding `now` is the last in view

    @property
    def window_end(self) -> int:
        return self.view_end + FUTURE_SLOTS * self.period

    def _logical(self, index: int) -> Statistic:
        return self.slots[(self.begin + index) % len(self.slots)]

    def add(self, value: float, timestamp: float, *, force_first=False) -> bool:
        """Add a value at timestamp (seconds); False when it falls outside the window.

        force_first puts it in the ring's first physical slot whatever its time
        (monasca-thresh's rule for `last`).
        """
        if force_first:
            self.slots[0].add(value, timestamp)
            return True
        minute = floor_minute(timestamp)
        start = self.window_end - len(self.slots) * self.period
        if not start <= minute < self.window_end:
            return False
        self._logical((minute - start) // self.period).add(value, timestamp)
        return True

    def should_evaluate(self, now: float, delay: int) -> bool:
        return now > self.view_end + delay

    def slide(self, now: float, delay: int) -> None:
        """Advance the view towards now once now is more than delay past its end."""
        if now <= self.view_end + delay:
            return
        behind = int(now - self.view_end)
        steps = behind // self.period + (1 if behind % self.period > delay else 0)
        for _ in range(min(steps, len(self.slots))):
            self.begin = (self.begin + 1) % len(self.slots)
            self._logical(len(self.slots) - 1).reset()
        self.view_end += steps * self.period

    def view_values(self) -> list[float]:
        return [self._logical(i).value() for i in range(self.periods)]

    def values(self) -> list[float]:
        """Every slot's value, oldest first, the future slots included."""
        return [slot.value() for slot in self.slots[self.begin:] + self.slots[:self.begin]]
