"""Events in the store: the query model, its evaluation in Python, and the stored form of an event.

An :class:`EventQuery` selects events by time range, log source, source, field equality, free text and a
filter expression (:data:`Expr`, built by :mod:`garrison.hunt` from its query language or by hand). Every
backend must answer exactly as :func:`compile_filter` does; SQLite translates what it can into SQL and
checks the rest here.

Field matching (``Match``) compares *texts*: strings as they are, booleans as ``true``/``false``, numbers in
decimal; a list matches when one of its items does, and a missing or null field matches nothing. ``like`` is
a whole-value wildcard match (``*`` any run, ``?`` one character, ``\\`` escapes them), ``contains`` a
substring; both ignore case. ``equals`` is exact and case-sensitive. ``gt``, ``ge``, ``lt`` and ``le``
compare numbers: the value and the field's texts that read as finite numbers.

Names address: ``id``, ``product``, ``category``, ``service``, ``source`` (the event's own columns);
``links.NAME`` (correlation keys); ``fields.NAME`` or any other ``NAME`` (a field, dots following nested
objects when no field has the dotted name itself).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from garrison.errors import StoreError
from garrison.model import Event

__all__ = [
    "COLUMNS",
    "COMPARISONS",
    "MAX_EVENT_BYTES",
    "And",
    "EventQuery",
    "Expr",
    "Match",
    "MatchOp",
    "Not",
    "Or",
    "Order",
    "Retention",
    "Row",
    "Text",
    "batch_name",
    "compile_filter",
    "decoded",
    "event_to_dict",
    "filter_of",
    "normalise_batch",
    "number",
    "take",
    "wildcard_regex",
]

MAX_EVENT_BYTES = 1024 * 1024
"""Largest stored event (its fields and links as JSON); a larger one refuses its batch."""
MatchOp = Literal["equals", "like", "contains", "gt", "ge", "lt", "le"]
COMPARISONS = {"gt": float.__gt__, "ge": float.__ge__, "lt": float.__lt__, "le": float.__le__}
Order = Literal["asc", "desc"]
COLUMNS = ("id", "product", "category", "service", "source")
"""Names that address an event's own columns rather than a field."""
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS


@dataclass(frozen=True, slots=True)
class Match:
    """``name op value`` (see the module docstring for names and operators)."""

    name: str
    op: MatchOp
    value: str


@dataclass(frozen=True, slots=True)
class Text:
    """Free text: some field value contains ``value``, ignoring case."""

    value: str


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Expr


Expr = Match | Text | And | Or | Not


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Which events to read. ``since`` ≤ time < ``until``; ``fields`` and ``links`` are exact equalities
    (texts compared as :class:`Match` ``equals`` does); ``text`` is free text; ``where`` any expression.
    ``limit`` ``None`` reads everything; ``order`` is by time, then by arrival."""

    since: float | None = None
    until: float | None = None
    product: str | None = None
    category: str | None = None
    service: str | None = None
    source: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    links: Mapping[str, str] = field(default_factory=dict)
    text: str | None = None
    where: Expr | None = None
    limit: int | None = None
    order: Order = "asc"

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 0:
            raise ValueError("limit must be >= 0")
        if self.order not in ("asc", "desc"):
            raise ValueError(f"order must be 'asc' or 'desc', not {self.order!r}")


@dataclass(frozen=True, slots=True)
class Retention:
    """How long events are kept: at most ``max_age`` seconds old and at most ``max_rows`` rows (``None``:
    no bound). Audit-chain records go only from the start of the chain, so a few may outlive the bound."""

    max_age: float | None = 90 * 86400.0
    max_rows: int | None = 10_000_000

    def cutoff(self, now: float) -> float | None:
        return None if self.max_age is None else now - self.max_age


def filter_of(query: EventQuery) -> Expr | None:
    """Everything in ``query`` except time, limit and order, as one expression."""
    parts: list[Expr] = [Match(name, "equals", value) for name, value in (
        ("product", query.product), ("category", query.category), ("service", query.service),
        ("source", query.source)) if value is not None]
    for name, value in query.fields.items():
        text = _texts(value)
        if len(text) != 1 or isinstance(value, list | tuple | Mapping):
            raise ValueError(f"field equality for {name!r} needs a string, number or boolean, not {value!r}")
        parts.append(Match(name if name not in COLUMNS and not name.startswith("links.") else f"fields.{name}",
                           "equals", text[0]))
    parts.extend(Match(f"links.{name}", "equals", value) for name, value in query.links.items())
    if query.text:
        parts.append(Text(query.text))
    if query.where is not None:
        parts.append(query.where)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


# ---- evaluation -------------------------------------------------------------------------------------------

def _texts(value: Any) -> list[str]:
    """The comparable texts of a value: a string itself, ``true``/``false``, decimal numbers, list items and
    (for free text) the values of nested objects. ``None`` has none."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, int | float):
        return [str(value)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, Mapping):
        return [text for item in value.values() for text in _texts(item)]
    return [str(value)]


def _field(fields: Mapping[str, Any], name: str) -> Any:
    value = fields.get(name)
    if value is not None or "." not in name:
        return value
    node: Any = fields
    for part in name.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _getter(name: str) -> Callable[[Event], Any]:
    if name in COLUMNS:
        if name == "id":
            return lambda e: e.id
        if name == "source":
            return lambda e: e.source
        return lambda e: getattr(e.logsource, name)
    if name.startswith("links."):
        key = name[len("links."):]
        return lambda e: e.links.get(key)
    key = name[len("fields."):] if name.startswith("fields.") else name
    return lambda e: _field(e.fields, key)


def wildcard_regex(pattern: str) -> re.Pattern[str]:
    """``*`` any run, ``?`` one character; ``\\`` before ``*``, ``?`` or ``\\`` makes it literal."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*?\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def number(text: str) -> float | None:
    """``text`` as a finite number, or ``None``."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _test(op: MatchOp, value: str) -> Callable[[str], bool]:
    if op in COMPARISONS:
        compare, bound = COMPARISONS[op], number(value)
        if bound is None:
            raise ValueError(f"{op} needs a number, not {value!r}")

        def test(text: str) -> bool:
            found = number(text)
            return found is not None and compare(found, bound)

        return test
    if op == "equals":
        return value.__eq__
    if op == "contains":
        needle = value.lower()
        return lambda text: needle in text.lower()
    regex = wildcard_regex(value)
    return lambda text: regex.fullmatch(text) is not None


def compile_filter(expr: Expr | None) -> Callable[[Event], bool]:
    """``expr`` as a predicate over events (``None`` accepts every event)."""
    if expr is None:
        return lambda e: True
    if isinstance(expr, Match):
        get, test = _getter(expr.name), _test(expr.op, expr.value)
        return lambda e: any(test(text) for text in _texts(get(e)))
    if isinstance(expr, Text):
        needle = expr.value.lower()
        return lambda e: any(needle in text.lower() for text in _texts(e.fields))
    if isinstance(expr, Not):
        inner = compile_filter(expr.item)
        return lambda e: not inner(e)
    preds = [compile_filter(item) for item in expr.items]
    if isinstance(expr, And):
        return lambda e: all(p(e) for p in preds)
    return lambda e: any(p(e) for p in preds)


# ---- stored form ------------------------------------------------------------------------------------------

def event_to_dict(event: Event) -> dict[str, Any]:
    """The JSON form of an event (:meth:`Event.to_json`): ``garrison detect --events`` reads it back."""
    return event.to_json()


Row = tuple[Event, str, str]
"""An event ready to store with its ``fields`` and ``links`` as JSON texts, made once so every backend
validates the same way."""


def batch_name(events: Sequence[Event]) -> str:
    """How an error names a batch: its size, first id (if any) and time span."""
    times = [e.time for e in events if isinstance(e.time, int | float)]
    span = f", times {min(times):.3f}..{max(times):.3f}" if times else ""
    first = next((e.id for e in events if e.id is not None), None)
    return f"batch of {len(events)} events" + (f" from id {first!r}" if first else "") + span


def _problem(event: Event) -> str | None:
    """Why ``event`` cannot be stored (its JSON aside), or ``None``."""
    when = event.time
    if not isinstance(when, int | float) or not math.isfinite(when):
        return f"time must be a finite number, not {when!r}"
    if event.id is not None and not isinstance(event.id, str):
        return f"id must be a string, not {event.id!r}"
    if not isinstance(event.source, str):
        return f"source must be a string, not {event.source!r}"
    if not all(isinstance(value, str) for value in event.links.values()):
        return "link values must be strings"
    return None


def _dumps(value: Any) -> str:
    """Compact JSON text; keys that are not strings are written as strings (``1`` → ``"1"``)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return orjson.dumps(value, option=_JSON_OPTIONS).decode()


def normalise_batch(events: Sequence[Event], *, where: str) -> list[Row]:
    """Check a batch before any of it is written: finite times, string ids, sources and link values, fields
    that encode as JSON, at most :data:`MAX_EVENT_BYTES` per event.
    One bad event refuses the whole batch (:class:`StoreError` naming the batch and the event).

    This runs once per stored event, so the common case does the least: exact type tests inline, one JSON
    encoding of ``fields`` and one of ``links`` (when there are any); anything unusual goes the slow way
    through :func:`_problem` and :func:`_dumps`, which decide and explain."""
    dumps, limit, isfinite = orjson.dumps, MAX_EVENT_BYTES, math.isfinite
    rows: list[Row] = []
    append = rows.append
    for index, event in enumerate(events):
        when, event_id, links = event.time, event.id, event.links
        try:
            if (type(when) is float and isfinite(when) and type(event.source) is str
                    and (event_id is None or type(event_id) is str)):
                fields_json = dumps(event.fields).decode()
                links_json = "{}"
                if links:
                    for value in links.values():
                        if type(value) is not str:
                            raise TypeError("link values must be strings")
                    links_json = dumps(links).decode()
            else:
                problem = _problem(event)
                if problem is not None:
                    raise TypeError(problem)
                fields_json = _dumps(event.fields)
                links_json = _dumps(links) if links else "{}"
        except TypeError:
            # Retry the slow way, which accepts non-string keys and names what is wrong.
            problem = _problem(event)
            if problem is None:
                try:
                    fields_json = _dumps(event.fields)
                    links_json = _dumps(links) if links else "{}"
                except TypeError as err:
                    problem = str(err)
            if problem is not None:
                raise StoreError(f"{batch_name(events)} refused, nothing stored: event {index}: {problem}",
                                 where=where) from None
        if len(fields_json) + len(links_json) > limit:
            raise StoreError(f"{batch_name(events)} refused, nothing stored: event {index}: larger than {limit} "
                             "bytes as JSON", where=where)
        append((event, fields_json, links_json))
    return rows


def decoded(row: Row, event_id: str) -> Event:
    """The event as the store gives it back: fields and links decoded from their stored JSON."""
    event, fields_json, links_json = row
    return Event(time=float(event.time), logsource=event.logsource, fields=orjson.loads(fields_json),
                 source=event.source, id=event_id, links=orjson.loads(links_json))


def take(events: Iterator[Event], limit: int | None) -> Iterator[Event]:
    if limit is None:
        yield from events
        return
    if limit <= 0:
        return
    for count, event in enumerate(events, start=1):
        yield event
        if count >= limit:
            return
