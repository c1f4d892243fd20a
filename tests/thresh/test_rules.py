"""The threshold engine's pure rules: expressions, windows, sub-alarm and alarm states.

Expected values are monasca-thresh's, from ../shared/reference/thresh-contract.md
(§3.5 text forms, §4.4 windows, §4.5 sub-alarm rules, §4.6 combination).
"""
import math

import pytest
from monasca_api.expression_parser import alarm_expr_parser

from monasca_thresh import expression as expr
from monasca_thresh.model import ALARM, OK, UNDETERMINED, Alarm, Definition, Metric, SubAlarm
from monasca_thresh.window import SlidingWindow

T0 = 1_700_000_005          # 25 s past a minute


@pytest.mark.parametrize("text, canonical", [
    ("max(cpu.idle_perc{service=monitoring, hostname=mini-mon}) < 20",
     "max(cpu.idle_perc{hostname=mini-mon, service=monitoring}) < 20.0"),
    ("count(log.error{test=1}, deterministic, 120) > 1 times 3",
     "count(log.error{test=1}, deterministic, 120) > 1.0 times 3"),
    ("x > 5", "max(x) > 5.0"),
    ("x lte 0.25", "min(x) <= 0.25"),
    ("AVG(y, 300) gte 1000", "avg(y, 300) >= 1000.0"),
])
def test_canonical_text_is_thresh_s_and_the_api_parses_it(text, canonical):
    sub = expr.parse(text)
    assert sub.expression == canonical
    reparsed = alarm_expr_parser.AlarmExprParser(canonical).sub_expr_list
    assert len(reparsed) == 1 and expr.parse(canonical) == sub


def test_and_binds_tighter_than_or():
    tree = expr.parse("max(a) > 1 or max(b) > 1 and max(c) > 1")
    a, b, c = expr.leaves(tree)
    assert expr.evaluate(tree, lambda leaf: leaf is a)
    assert not expr.evaluate(tree, lambda leaf: leaf is b)
    assert expr.evaluate(tree, lambda leaf: leaf in (b, c))


def test_bad_expression_names_the_problem():
    with pytest.raises(ValueError, match="cannot parse alarm expression 'max\\(x\\) >'"):
        expr.parse("max(x) >")


@pytest.mark.parametrize("value, text", [(1.0, "1.0"), (0.5, "0.5"), (1e20, "1.0E20"),
                                         (1.2345e-5, "1.2345E-5"), (12345678.0, "1.2345678E7"),
                                         (-3.25, "-3.25"), (1e7, "1.0E7"), (0.001, "0.001")])
def test_values_are_written_as_java_writes_doubles(value, text):
    assert expr.java_double(value) == text


@pytest.mark.parametrize("value, text", [(10, "10.0"), (0.1, "0.1"), (1 / 3, "0.333333333333333"),
                                         (1e20, "100000000000000000000.0"), (-5, "-5.0")])
def test_thresholds_keep_at_most_fifteen_decimals(value, text):
    assert expr.decimal_text(value) == text


def test_window_view_ends_at_the_minute_after_now_plus_period():
    window = SlidingWindow("AVG", 60, 1, T0)
    assert window.view_end == T0 - 25 + 60
    assert window.add(2.0, T0) and window.add(4.0, T0 + 10)
    assert window.view_values() == [3.0]
    assert window.add(9.0, T0 + 60)                       # first future slot
    assert not window.add(1.0, T0 + 60 * 3)               # beyond the two future slots
    assert not window.add(1.0, T0 - 60)                   # before the view: too old


def test_window_slides_only_past_the_delay():
    window = SlidingWindow("MAX", 60, 1, T0)
    end = window.view_end
    window.add(5.0, T0)
    window.slide(end + 30, 30)
    assert window.view_end == end
    window.slide(end + 31, 30)
    assert window.view_end == end + 60 and math.isnan(window.view_values()[0])


def sub_alarm(text, now=T0):
    sub = SubAlarm("s", "a", "sad", expr.parse(text))
    sub.start_window(now)
    return sub


def test_immediate_functions_change_at_once():
    sub = sub_alarm("max(x) > 14")
    assert sub.state == UNDETERMINED
    sub.add(20.0, T0)
    assert sub.evaluate_and_slide(T0, 30) and sub.state == ALARM and sub.current_values == [20.0]
    last = sub_alarm("last(x) > 14")
    last.add(1.0, T0)
    assert last.evaluate_and_slide(T0, 30) and last.state == OK
    last.add(20.0, T0 + 1)
    assert last.evaluate_and_slide(T0 + 1, 30) and last.state == ALARM


def test_avg_waits_for_its_view_then_goes_undetermined_eight_evaluations_after_its_data():
    sub = sub_alarm("avg(x) > 3 times 3")
    end = sub.window.view_end
    for minute in range(3):                               # fill the three view slots
        sub.add(5.0, end - 180 + 60 * minute + 1)
    assert not sub.evaluate_and_slide(T0, 30)              # not due: no change
    assert sub.evaluate_and_slide(end + 31, 30) and sub.state == ALARM
    assert sub.current_values == [5.0, 5.0, 5.0]
    # The evaluation above was the first of eight: two more still see data,
    # then the empty-window count reaches 1 minute x 3 periods x 2.
    changes = [sub.evaluate_and_slide(end + 31 + 60 * n, 30) for n in range(1, 8)]
    assert changes == [False] * 6 + [True] and sub.state == UNDETERMINED


def test_deterministic_term_with_an_empty_window_is_ok():
    sub = sub_alarm("avg(x, deterministic) > 3")
    assert sub.state == OK
    sub.state = ALARM
    assert sub.evaluate_and_slide(sub.window.view_end + 31, 30) and sub.state == OK


def definition(text, match_by=()):
    subs = {f"sad-{n}": leaf for n, leaf in enumerate(dict.fromkeys(expr.leaves(expr.parse(text))))}
    return Definition("def", "tenant", "name", "", "LOW", list(match_by), True, text, subs)


def test_any_undetermined_term_makes_the_alarm_undetermined_even_in_an_or():
    alarm = Alarm("a", definition("max(a) > 1 or max(b) > 1"))
    first, second = alarm.sub_alarms
    first.state, second.state = ALARM, UNDETERMINED
    assert alarm.combined_state() == UNDETERMINED
    second.state = OK
    assert alarm.combined_state() == ALARM
    assert alarm.reason(ALARM).startswith("Thresholds were exceeded for the sub-alarms: max(a) > 1.0")


def test_alarm_waits_for_every_term_before_it_changes():
    alarm = Alarm("a", definition("max(a) > 1 and max(b) > 1"))
    first, second = alarm.sub_alarms
    first.state = second.state = ALARM
    assert alarm.report(first) is None
    assert alarm.report(second) == ALARM


def test_match_by_keeps_hosts_apart_and_lets_a_metric_without_the_key_in():
    alarm = Alarm("a", definition("max(cpu) > 1", match_by=["hostname"]))
    alarm.metrics.add(Metric.of("cpu", {"hostname": "h1"}))
    assert alarm.fits(Metric.of("cpu", {"hostname": "h1", "core": "0"}))
    assert not alarm.fits(Metric.of("cpu", {"hostname": "h2"}))
    assert not alarm.fits(Metric.of("cpu", {}))            # shares no match_by key
    assert not alarm.fits(Metric.of("mem", {"hostname": "h1"}))
