"""One event model for everything Garrison sees: MCP tool calls, process starts, file and network activity,
imported logs. Field names follow Sigma's taxonomy per log source so SigmaHQ rules apply unchanged.

The JSON form (:meth:`Event.to_json`, read back by :meth:`Event.from_json`) is Garrison's own event line::

    {"time": 1767225600.0, "logsource": {"product": "mcp", "category": "tool_call"},
     "fields": {...}, "source": "garrison.wrap", "id": "3f2a91c0-17", "links": {"server": "github"}}

``logsource`` lists only the parts that are set; ``id`` is ``null`` when the event has none yet and ``links``
is ``{}`` when it has none, so every line carries every key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Event", "LogSource"]

_LOGSOURCE_KEYS = ("product", "category", "service")


@dataclass(frozen=True, slots=True)
class LogSource:
    """Sigma ``logsource``: ``product`` (windows, linux, mcp, aws), ``category`` and ``service``."""

    product: str | None = None
    category: str | None = None
    service: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """A timestamped record with Sigma-named ``fields``.

    ``time`` is seconds since the epoch (UTC). ``id`` is assigned by the producer or the store and is unique
    within a store. ``source`` names the producer (``garrison.wrap``, ``sysmon``, ``auditd``, ``cloudtrail``).
    """

    time: float
    logsource: LogSource
    fields: Mapping[str, Any]
    source: str = "garrison"
    id: str | None = None
    links: Mapping[str, str] = field(default_factory=dict)
    """Correlation keys for storylines: ``process_guid``, ``parent_guid``, ``call_id``, ``server``, ``client``."""

    def to_json(self) -> dict[str, Any]:
        """The event as Garrison's JSON event line (see the module docstring); fields are copied, not encoded."""
        ls = self.logsource
        logsource: dict[str, str] = {}
        if ls.product is not None:
            logsource["product"] = ls.product
        if ls.category is not None:
            logsource["category"] = ls.category
        if ls.service is not None:
            logsource["service"] = ls.service
        return {"time": self.time, "logsource": logsource, "fields": dict(self.fields), "source": self.source,
                "id": self.id, "links": dict(self.links)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Event:
        """Inverse of :meth:`to_json`. ``source`` defaults to ``garrison``; ``id``, ``links`` and log source
        parts may be missing or ``null``. Raises :class:`ValueError` naming the first key that is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError(f"an event is a JSON object, not {type(data).__name__}")
        when = data.get("time")
        if isinstance(when, bool) or not isinstance(when, int | float) or not math.isfinite(when):
            raise ValueError(f"'time' must be a finite number of seconds, not {when!r}")
        ls, fields = data.get("logsource"), data.get("fields")
        if not isinstance(ls, Mapping):
            raise ValueError("'logsource' must be an object")
        if not isinstance(fields, Mapping):
            raise ValueError("'fields' must be an object")
        parts = {key: ls.get(key) for key in _LOGSOURCE_KEYS}
        for key, value in parts.items():
            if value is not None and not isinstance(value, str):
                raise ValueError(f"'logsource.{key}' must be a string, not {value!r}")
        source, event_id = data.get("source", "garrison"), data.get("id")
        if not isinstance(source, str):
            raise ValueError(f"'source' must be a string, not {source!r}")
        if event_id is not None and not isinstance(event_id, str):
            raise ValueError(f"'id' must be a string or null, not {event_id!r}")
        links = data.get("links") or {}
        if not isinstance(links, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in links.items()):
            raise ValueError("'links' must be an object of strings")
        return cls(time=float(when), logsource=LogSource(**parts), fields=dict(fields), source=source,
                   id=event_id, links=dict(links))
