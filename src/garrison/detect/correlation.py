"""Sigma correlation rules: ``event_count``, ``value_count``, ``temporal`` and ``temporal_ordered``.

A correlation rule refers to detection rules (by ``name`` or ``id``), groups their matches by ``group-by``
fields and looks at a sliding ``timespan``. :class:`Correlator` is fed, in time order, each event with the
detection rules it matched, and returns the correlation alerts it completes; it keeps only the matches still
inside some window (bounded by ``MAX_WINDOW_EVENTS`` per group). It has state but no I/O and no clock: time
is the events' own.

Supported conditions: ``gt``, ``gte`` and ``eq`` (plus ``field`` for ``value_count``). ``lt``/``lte`` ask
about events that did *not* happen within a window, which a stream can only decide when the window closes;
such rules are refused with that reason. Field ``aliases`` are not supported either.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from garrison.detect.rule import LEVELS, SigmaRule, split_tags
from garrison.detect.values import field_value, text_of
from garrison.errors import RuleError
from garrison.model import Event, Severity

__all__ = [
    "MAX_WINDOW_EVENTS",
    "CorrelationRule",
    "Correlator",
    "Trigger",
    "known_rule_refs",
    "parse_correlation",
    "parse_timespan",
]

MAX_WINDOW_EVENTS = 10_000
_TYPES = ("event_count", "value_count", "temporal", "temporal_ordered")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class CorrelationRule:
    id: str
    title: str
    level: Severity
    type: str
    rules: tuple[str, ...]
    """Referenced detection rules, by ``name`` or ``id``."""
    timespan: float
    """Window in seconds."""
    where: str
    group_by: tuple[str, ...] = ()
    condition: Mapping[str, Any] = field(default_factory=dict)
    generate: bool = False
    """Whether the referenced rules still raise their own alerts."""
    techniques: tuple[str, ...] = ()
    tactics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Trigger:
    """A completed correlation: the rule and the events in its window."""

    rule: CorrelationRule
    events: tuple[Event, ...]


def parse_timespan(value: Any, *, where: str) -> float:
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", str(value))
    if match is None:
        raise RuleError(f"timespan {value!r} must be a number and a unit (s, m, h, d), e.g. 5m", where=where)
    return float(int(match[1]) * _UNITS[match[2]])


def _condition(body: Mapping[str, Any], kind: str, where: str) -> dict[str, Any]:
    condition = body.get("condition")
    if kind in ("temporal", "temporal_ordered"):
        return dict(condition) if isinstance(condition, Mapping) else {}
    if not isinstance(condition, Mapping):
        raise RuleError(f"{kind} needs a 'condition' mapping (e.g. gte: 10)", where=where)
    out = dict(condition)
    ops = [k for k in out if k != "field"]
    if any(op in ("lt", "lte") for op in ops):
        raise RuleError("'lt'/'lte' correlation conditions (absence within a window) are not supported",
                        where=where)
    if len(ops) != 1 or ops[0] not in ("gt", "gte", "eq") or not isinstance(out[ops[0]], int):
        raise RuleError("condition must be one of gt, gte, eq with an integer", where=where)
    if kind == "value_count" and not isinstance(out.get("field"), str):
        raise RuleError("value_count needs 'condition.field'", where=where)
    return out


def parse_correlation(doc: Any, *, where: str) -> CorrelationRule:
    """Validate one correlation document; every error names ``where``."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("correlation"), Mapping):
        raise RuleError("a correlation rule needs a 'correlation' mapping", where=where)
    body = doc["correlation"]
    kind = body.get("type")
    if kind not in _TYPES:
        raise RuleError(f"correlation type must be one of {', '.join(_TYPES)}", where=where)
    if "aliases" in body:
        raise RuleError("correlation field 'aliases' are not supported", where=where)
    rules = body.get("rules")
    rules = [rules] if isinstance(rules, str) else rules
    if not isinstance(rules, list) or not rules or not all(isinstance(r, str) for r in rules):
        raise RuleError("correlation 'rules' must name at least one rule", where=where)
    group_by = body.get("group-by") or []
    group_by = [group_by] if isinstance(group_by, str) else group_by
    if not isinstance(group_by, list) or not all(isinstance(g, str) for g in group_by):
        raise RuleError("'group-by' must be a list of field names", where=where)
    if "timespan" not in body and "timeframe" not in body:
        raise RuleError("correlation needs a 'timespan'", where=where)
    level = str(doc.get("level") or "medium").lower()
    if level not in LEVELS:
        raise RuleError(f"unknown level {level!r}", where=where)
    if not doc.get("id") or not doc.get("title"):
        raise RuleError("correlation needs 'id' and 'title'", where=where)
    tags = tuple(str(t) for t in doc.get("tags") or ())
    techniques, tactics = split_tags(tags)
    return CorrelationRule(
        id=str(doc["id"]), title=str(doc["title"]), level=LEVELS[level], type=kind, rules=tuple(rules),
        timespan=parse_timespan(body.get("timespan", body.get("timeframe")), where=where), where=where,
        group_by=tuple(group_by), condition=_condition(body, kind, where),
        generate=bool(doc.get("generate", False)), techniques=techniques, tactics=tactics,
    )


def known_rule_refs(rules: Iterable[SigmaRule]) -> dict[str, str]:
    """Every rule's ``id`` and ``name`` → its ``id`` (what correlation rules may refer to)."""
    known: dict[str, str] = {}
    for rule in rules:
        known[rule.id] = rule.id
        if rule.name:
            known.setdefault(rule.name, rule.id)
    return known


def _satisfied(condition: Mapping[str, Any], count: int) -> bool:
    if "gt" in condition:
        return count > int(condition["gt"])
    if "gte" in condition:
        return count >= int(condition["gte"])
    return count == int(condition["eq"])


@dataclass(slots=True)
class _Window:
    items: deque[tuple[float, str, Event]] = field(default_factory=deque)


class Correlator:
    """Streaming evaluation of correlation rules over detection matches."""

    def __init__(self, correlations: Sequence[CorrelationRule], known: Mapping[str, str]) -> None:
        """``known`` maps every detection rule's ``name`` and ``id`` to its ``id``; unknown references raise."""
        self.correlations = tuple(correlations)
        self._by_rule: dict[str, list[tuple[CorrelationRule, str]]] = {}
        for corr in self.correlations:
            for ref in corr.rules:
                if ref not in known:
                    raise RuleError(f"correlation refers to unknown rule {ref!r}", where=corr.where)
                self._by_rule.setdefault(known[ref], []).append((corr, ref))
        self._windows: dict[tuple[str, tuple[str, ...]], _Window] = {}

    @property
    def silenced(self) -> frozenset[str]:
        """Detection rule IDs whose own alerts are replaced by their correlation (``generate: false``)."""
        return frozenset(rule_id for rule_id, uses in self._by_rule.items()
                         if all(not corr.generate for corr, _ in uses))

    def feed(self, event: Event, rule_ids: Iterable[str]) -> list[Trigger]:
        """One event and the detection rules it matched; call in time order."""
        out: list[Trigger] = []
        for rule_id in rule_ids:
            for corr, ref in self._by_rule.get(rule_id, ()):
                key = tuple(str(text_of(field_value(event.fields, g))) for g in corr.group_by)
                window = self._windows.setdefault((corr.id, key), _Window())
                window.items.append((event.time, ref, event))
                while window.items and window.items[0][0] < event.time - corr.timespan:
                    window.items.popleft()
                while len(window.items) > MAX_WINDOW_EVENTS:
                    window.items.popleft()
                if self._complete(corr, window):
                    out.append(Trigger(corr, tuple(e for _, _, e in window.items)))
                    window.items.clear()
        return out

    @staticmethod
    def _complete(corr: CorrelationRule, window: _Window) -> bool:
        items = window.items
        if corr.type == "event_count":
            return _satisfied(corr.condition, len(items))
        if corr.type == "value_count":
            name = str(corr.condition["field"])
            values = {str(text_of(field_value(e.fields, name))) for _, _, e in items
                      if field_value(e.fields, name) is not None}
            return _satisfied(corr.condition, len(values))
        if corr.type == "temporal":
            return {ref for _, ref, _ in items} >= set(corr.rules)
        position = 0
        for _, ref, _ in items:
            if ref == corr.rules[position]:
                position += 1
                if position == len(corr.rules):
                    return True
        return False
