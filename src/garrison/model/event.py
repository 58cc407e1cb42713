"""One event model for everything Garrison sees: MCP tool calls, process starts, file and network activity,
imported logs. Field names follow Sigma's taxonomy per log source so SigmaHQ rules apply unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Event", "LogSource"]


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
