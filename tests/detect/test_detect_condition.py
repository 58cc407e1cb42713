"""Condition parsing and evaluation: precedence, quantifiers, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from garrison.detect import Engine, compile_rule, parse_rule
from garrison.detect.condition import And, Ident, Not, Of, Or, parse_condition
from garrison.errors import RuleError
from garrison.model import Event, LogSource

DETECTION = {
    "sel_a": {"A": "1"},
    "sel_b": {"B": "1"},
    "filter_c": {"C": "1"},
    "_hidden": {"D": "1"},
}


def run(condition: str | list[str], fields: dict[str, Any]) -> bool:
    doc = {"title": "t", "id": "x", "logsource": {"product": "p"},
           "detection": {**DETECTION, "condition": condition}}
    engine = Engine([compile_rule(parse_rule(doc, where="r.yml"))])
    return bool(engine.match(Event(0.0, LogSource(product="p"), fields)))


def test_precedence_and_binds_tighter_than_or() -> None:
    assert parse_condition("a or b and not c", where="x") == Or((Ident("a"), And((Ident("b"), Not(Ident("c"))))))
    assert parse_condition("(a or b) and c", where="x") == And((Or((Ident("a"), Ident("b"))), Ident("c")))
    assert parse_condition("1 of sel_* and not all of filter*", where="x") == And(
        (Of("1", "sel_*"), Not(Of("all", "filter*"))))
    assert parse_condition("any of them", where="x") == Of("1", "them")


@pytest.mark.parametrize(("condition", "fields", "expected"), [
    ("sel_a and not filter_c", {"A": "1"}, True),
    ("sel_a and not filter_c", {"A": "1", "C": "1"}, False),
    ("sel_a or sel_b and filter_c", {"A": "1"}, True),
    ("(sel_a or sel_b) and filter_c", {"A": "1"}, False),
    ("1 of sel_*", {"B": "1"}, True),
    ("all of sel_*", {"B": "1"}, False),
    ("all of sel_*", {"A": "1", "B": "1"}, True),
    ("1 of them", {"C": "1"}, True),
    ("1 of them", {"D": "1"}, False),
    ("all of them", {"A": "1", "B": "1", "C": "1"}, True),
    ("not not sel_a", {"A": "1"}, True),
    (["sel_a", "sel_b"], {"B": "1"}, True),
])
def test_evaluation(condition: str | list[str], fields: dict[str, Any], expected: bool) -> None:
    assert run(condition, fields) is expected


@pytest.mark.parametrize(("condition", "message"), [
    ("sel_a and", "ends too early"),
    ("(sel_a", "missing ')'"),
    ("sel_a sel_b", "unexpected 'sel_b'"),
    ("unknown", "unknown search identifier 'unknown'"),
    ("1 of nothing_*", "matches no search identifier"),
    ("sel_a | count() > 5", "aggregation conditions"),
    ("and sel_a", "unexpected 'and'"),
])
def test_errors(condition: str, message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)):
        run(condition, {})


def test_depth_limit() -> None:
    with pytest.raises(RuleError, match="nested deeper"):
        parse_condition("(" * 100 + "a" + ")" * 100, where="x")
