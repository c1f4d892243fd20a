"""Alarm expressions: the API's own parser, and the sub-expression as thresh writes it.

The API validated every expression with its pyparsing grammar before storing
it, so the engine parses with that same grammar (from the monasca-api
distribution) and never meets a dialect of its own.
"""
from __future__ import annotations

import dataclasses
import decimal
import math
import operator

import pyparsing
from monasca_api.expression_parser import alarm_expr_parser

FUNCTIONS = ("MIN", "MAX", "SUM", "COUNT", "AVG", "LAST")
OPERATORS = {"LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}
COMPARE = {"LT": operator.lt, "LTE": operator.le, "GT": operator.gt, "GTE": operator.ge}
DEFAULT_PERIOD, DEFAULT_PERIODS = 60, 1


@dataclasses.dataclass(frozen=True)
class SubExpression:
    """One `function(metric{dims}) op threshold` term; equal terms are one value."""
    function: str                               # MIN|MAX|SUM|COUNT|AVG|LAST
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]     # sorted by name
    operator: str                               # LT|LTE|GT|GTE
    threshold: float
    period: int = DEFAULT_PERIOD
    periods: int = DEFAULT_PERIODS
    deterministic: bool = False

    @classmethod
    def build(cls, function, metric_name, dimensions, operator, threshold,
              period=DEFAULT_PERIOD, periods=DEFAULT_PERIODS, deterministic=False):
        function, operator = function.upper(), operator.upper()
        if function not in FUNCTIONS or operator not in OPERATORS:
            raise ValueError(f"unknown function {function!r} or operator {operator!r}")
        return cls(function, metric_name, tuple(sorted(dict(dimensions).items())), operator,
                   float(threshold), int(period), int(periods), bool(deterministic))

    def breaches(self, value: float) -> bool:
        return COMPARE[self.operator](value, self.threshold)

    def fits(self, name: str, dimensions: dict) -> bool:
        """A metric fits when the names are equal and it carries every dimension of the term."""
        return name == self.metric_name and all(dimensions.get(k) == v for k, v in self.dimensions)

    @property
    def expression(self) -> str:
        """The canonical text thresh writes to sub_alarm.expression and reason strings."""
        args = self.metric_name
        if self.dimensions:
            args += "{" + ", ".join(f"{k}={v}" for k, v in self.dimensions) + "}"
        if self.deterministic:
            args += ", deterministic"
        if self.period != DEFAULT_PERIOD:
            args += f", {self.period}"
        text = f"{self.function.lower()}({args}) {OPERATORS[self.operator]} {decimal_text(self.threshold)}"
        return text + (f" times {self.periods}" if self.periods != DEFAULT_PERIODS else "")

    def to_json(self) -> dict:
        """The subAlarmExpression object of an alarm-transitioned message."""
        return {"function": self.function,
                "metricDefinition": {"id": None, "name": self.metric_name,
                                     "dimensions": dict(self.dimensions)},
                "operator": self.operator, "threshold": self.threshold,
                "period": self.period, "periods": self.periods,
                "deterministic": self.deterministic}

    def compatible(self, other: SubExpression) -> bool:
        """Same data in the window: a new operator or threshold keeps the measurements."""
        return (self.function, self.metric_name, self.dimensions, self.period, self.periods) == \
            (other.function, other.metric_name, other.dimensions, other.period, other.periods)

    @property
    def alarms_immediately(self) -> bool:
        """A value breaching once is enough: these aggregates cannot move back within a slot."""
        return self.function == "LAST" or \
            (self.function == "MIN" and self.operator in ("LT", "LTE")) or \
            (self.function in ("MAX", "COUNT") and self.operator in ("GT", "GTE"))

    @property
    def clears_immediately(self) -> bool:
        return self.function == "LAST" or \
            (self.function == "MIN" and self.operator in ("GT", "GTE")) or \
            (self.function in ("MAX", "COUNT") and self.operator in ("LT", "LTE"))


@dataclasses.dataclass(frozen=True)
class Node:
    """AND/OR over sub-expressions and nodes."""
    op: str                     # "AND" or "OR"
    operands: tuple


def parse(text: str):
    """The expression tree: a SubExpression, or a Node of AND/OR over trees.

    Raises ValueError naming the problem for an expression the grammar refuses.
    """
    try:
        result = (alarm_expr_parser.expression + pyparsing.StringEnd()).parseString(text)[0]
    except pyparsing.ParseBaseException as exc:
        raise ValueError(f"cannot parse alarm expression {text!r}: {exc}") from None
    return _tree(result)


def _tree(parsed):
    if isinstance(parsed, alarm_expr_parser.SubExpr):
        dims = (d.split("=", 1) for d in parsed.dimensions_as_list)
        return SubExpression.build(parsed.normalized_func, parsed.metric_name, dims,
                                   parsed.normalized_operator, parsed.threshold, parsed.period,
                                   parsed.periods, bool(parsed.deterministic))
    op = "AND" if isinstance(parsed, alarm_expr_parser.AndSubExpr) else "OR"
    return Node(op, tuple(_tree(operand) for operand in parsed.operands))


def leaves(tree) -> list[SubExpression]:
    if isinstance(tree, SubExpression):
        return [tree]
    return [leaf for operand in tree.operands for leaf in leaves(operand)]


def evaluate(tree, is_alarm) -> bool:
    """Whether the tree holds when each leaf is is_alarm(leaf)."""
    if isinstance(tree, SubExpression):
        return is_alarm(tree)
    results = (evaluate(operand, is_alarm) for operand in tree.operands)
    return all(results) if tree.op == "AND" else any(results)


def decimal_text(value: float) -> str:
    """A threshold as thresh prints it: at least one and at most 15 decimals, no exponent."""
    exact = decimal.Context(prec=400, rounding=decimal.ROUND_HALF_EVEN)
    rounded = decimal.Decimal(repr(float(value))).quantize(decimal.Decimal("1e-15"), context=exact)
    whole, _, fraction = f"{rounded:f}".partition(".")
    return f"{whole}.{fraction.rstrip('0') or '0'}"


def java_double(value: float) -> str:
    """A double as Java's Double.toString writes it, for the values lists of reason strings."""
    if math.isnan(value) or math.isinf(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = f"{decimal.Decimal(repr(float(value))):f}"
        return text if "." in text else text + ".0"
    sign, digits, exponent = decimal.Decimal(repr(float(value))).normalize().as_tuple()
    mantissa = "".join(map(str, digits))
    return f"{'-' if sign else ''}{mantissa[0]}.{mantissa[1:] or '0'}E{len(digits) - 1 + exponent}"


def java_list(values) -> str:
    return "[" + ", ".join(java_double(v) for v in values) + "]"
