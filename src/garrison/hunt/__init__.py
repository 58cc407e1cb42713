"""Hunting over stored events: a small query language (``docs/hunting.md``) compiled to an
:class:`~garrison.store.events.EventQuery`, and the renderings ``garrison events`` and ``garrison hunt`` print."""

from __future__ import annotations

from garrison.hunt.parse import QuerySyntaxError, parse_query
from garrison.hunt.timespec import parse_span, parse_time
from garrison.store.events import EventQuery, Order

__all__ = ["QuerySyntaxError", "hunt_query", "parse_query", "parse_span", "parse_time"]


def hunt_query(text: str, *, since: float | None = None, until: float | None = None, limit: int | None = 100,
               order: Order = "asc") -> EventQuery:
    """The store query for a hunting query ``text`` (raises :class:`QuerySyntaxError`)."""
    return EventQuery(since=since, until=until, where=parse_query(text), limit=limit, order=order)
