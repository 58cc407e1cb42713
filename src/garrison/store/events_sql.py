"""An :class:`EventQuery` as SQL for the SQLite store, and stored rows back into events.

Translation is a *prefilter*: the SQL selects a superset of the matching rows, and whatever it cannot decide
exactly is decided again in Python by :func:`~garrison.store.events.compile_filter`. Only columns (``id``,
log source, ``source``, the indexed links) with ASCII patterns translate exactly; field tests let through every
non-text value (numbers, booleans, lists are compared as text in Python), and free text searches the stored
JSON. A query that is exact in SQL gets its ``LIMIT`` in SQL too. Values are always bound parameters; field
names only ever appear inside bound JSON paths.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import orjson

from garrison.model import Event, LogSource
from garrison.store.events import COLUMNS, COMPARISONS, And, EventQuery, Expr, Match, Not, Or, Text, filter_of, number

__all__ = ["EVENT_COLUMNS", "Translation", "event_of_row", "load_event_queries", "translate"]

_NAME = re.compile(r"^-- name: ([a-z_]+)\s*$", re.MULTILINE)
EVENT_COLUMNS = "id, time, product, category, service, source, fields, links"
_LINK_COLUMNS = {"server": "server", "call_id": "call_id", "process_guid": "process_guid"}
_NON_TEXT_TYPES = "('integer', 'real', 'true', 'false', 'array', 'object')"


@cache
def load_event_queries() -> dict[str, str]:
    """``name`` → SQL of every ``-- name:`` block in ``sql/events.sql``."""
    text = (resources.files("garrison.store") / "sql" / "events.sql").read_text(encoding="utf-8")
    parts = _NAME.split(text)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


@dataclass(frozen=True, slots=True)
class Translation:
    """``sql`` (a full SELECT) with ``params``; ``exact`` when no row needs checking in Python."""

    sql: str
    params: tuple[Any, ...]
    exact: bool
    filter: Expr | None


@dataclass(frozen=True, slots=True)
class _Part:
    sql: str
    params: tuple[Any, ...]
    exact: bool


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_pattern(op: str, value: str) -> str | None:
    """The LIKE pattern for ``like``/``contains`` (``None`` when SQLite's ASCII-only case folding would
    disagree with Python's)."""
    if not value.isascii():
        return None
    if op == "contains":
        return f"%{_like_escape(value)}%"
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value) and value[i + 1] in "*?\\":
            out.append(_like_escape(value[i + 1]))
            i += 2
            continue
        out.append("%" if ch == "*" else "_" if ch == "?" else _like_escape(ch))
        i += 1
    return "".join(out)


def _json_path(key: str) -> str:
    return '$."' + key + '"'


def _test(target: str, op: str, value: str, target_params: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]] | None:
    if op in COMPARISONS:
        return None
    if op == "equals":
        return f"{target} = ?", (*target_params, value)
    pattern = _like_pattern(op, value)
    if pattern is None:
        return None
    return f"{target} LIKE ? ESCAPE '\\'", (*target_params, pattern)


def _match(expr: Match) -> _Part | None:
    name = expr.name
    if name in COLUMNS:
        test = _test(name, expr.op, expr.value, ())
        return None if test is None else _Part(*test, exact=True)
    if name.startswith("links."):
        key = name[len("links."):]
        column = _LINK_COLUMNS.get(key)
        if column is not None:
            test = _test(column, expr.op, expr.value, ())
            return None if test is None else _Part(*test, exact=True)
        test = _test("json_extract(links, ?)", expr.op, expr.value, (_json_path(key),))
        return None if test is None else _Part(*test, exact=False)
    key = name[len("fields."):] if name.startswith("fields.") else name
    if "." in key or '"' in key:
        return None
    path = _json_path(key)
    bound = number(expr.value) if expr.op in COMPARISONS else None
    if bound is not None:
        # Numbers compare in SQL; texts (which may hold a number) and lists go on to Python.
        sign = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}[expr.op]
        return _Part(f"(json_type(fields, ?) IN ('text', 'array', 'object') OR "
                     f"(json_type(fields, ?) IN ('integer', 'real') AND json_extract(fields, ?) {sign} ?))",
                     (path, path, path, bound), exact=False)
    test = _test("json_extract(fields, ?)", expr.op, expr.value, (path,))
    if test is None:
        return None
    return _Part(f"(json_type(fields, ?) IN {_NON_TEXT_TYPES} OR {test[0]})", (path, *test[1]), exact=False)


def _part(expr: Expr) -> _Part | None:
    if isinstance(expr, Match):
        return _match(expr)
    if isinstance(expr, Text):
        needle = orjson.dumps(expr.value).decode()[1:-1]
        pattern = _like_pattern("contains", needle)
        return None if pattern is None else _Part("fields LIKE ? ESCAPE '\\'", (pattern,), exact=False)
    if isinstance(expr, Not):
        inner = _part(expr.item)
        if inner is None or not inner.exact:
            return None
        return _Part(f"NOT COALESCE({inner.sql}, 0)", inner.params, exact=True)
    parts = [_part(item) for item in expr.items]
    if isinstance(expr, Or):
        known = [p for p in parts if p is not None]
        if len(known) < len(parts):
            return None
        return _Part("(" + " OR ".join(p.sql for p in known) + ")", tuple(x for p in known for x in p.params),
                     exact=all(p.exact for p in known))
    assert isinstance(expr, And)
    known = [p for p in parts if p is not None]
    if not known:
        return None
    return _Part("(" + " AND ".join(p.sql for p in known) + ")", tuple(x for p in known for x in p.params),
                 exact=len(known) == len(parts) and all(p.exact for p in known))


def translate(query: EventQuery, *, count: bool = False) -> Translation:
    """The SELECT for ``query`` (or its ``COUNT(*)``)."""
    clauses: list[str] = []
    params: list[Any] = []
    if query.since is not None:
        clauses.append("time >= ?")
        params.append(query.since)
    if query.until is not None:
        clauses.append("time < ?")
        params.append(query.until)
    expr = filter_of(query)
    part = _part(expr) if expr is not None else None
    exact = expr is None or (part is not None and part.exact)
    if part is not None:
        clauses.append(part.sql)
        params.extend(part.params)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    if count and exact:
        # Only fixed fragments are joined here; every value is a bound parameter.
        return Translation(f"SELECT COUNT(*) FROM events{where}", tuple(params), True, None)  # noqa: S608
    direction = "DESC" if query.order == "desc" else "ASC"
    sql = f"SELECT {EVENT_COLUMNS} FROM events{where} ORDER BY time {direction}, seq {direction}"  # noqa: S608
    if exact and query.limit is not None and not count:
        sql += " LIMIT ?"
        params.append(query.limit)
    return Translation(sql, tuple(params), exact, None if exact else expr)


def event_of_row(row: Sequence[Any]) -> Event:
    """A row of :data:`EVENT_COLUMNS` → :class:`Event`."""
    event_id, time, product, category, service, source, fields, links = row
    return Event(time=time, logsource=LogSource(product, category, service), fields=orjson.loads(fields),
                 source=source, id=event_id, links=orjson.loads(links))
