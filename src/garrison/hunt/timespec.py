"""Times on the command line: ``1h`` (before now), ISO 8601, or epoch seconds. Pure: ``now`` is given."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from garrison.errors import UsageError

__all__ = ["UNITS", "parse_span", "parse_time"]

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_SPAN = re.compile(r"(?:(\d+(?:\.\d+)?)([smhdw]))+")
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_EPOCH = re.compile(r"\d+(?:\.\d+)?")


def parse_span(text: str, *, where: str) -> float:
    """``90s``, ``15m``, ``1h30m``, ``7d``, ``2w`` → seconds."""
    value = text.strip().lower()
    if not _SPAN.fullmatch(value):
        raise UsageError(f"{text!r} is not a duration like 30m, 12h, 7d or 1h30m", where=where)
    return sum(float(n) * UNITS[unit] for n, unit in _PART.findall(value))


def parse_time(text: str, *, now: float, where: str) -> float:
    """A span (``1h`` means an hour before ``now``), ``now``, epoch seconds, or an ISO 8601 time (UTC when no
    offset is given) → epoch seconds."""
    value = text.strip()
    if value.lower() == "now":
        return now
    if _SPAN.fullmatch(value.lower()):
        return now - parse_span(value, where=where)
    if _EPOCH.fullmatch(value):
        return float(value)
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"{text!r} is not a time (use 1h, 7d, an ISO 8601 time or epoch seconds)",
                         where=where) from None
    result = (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
    if not math.isfinite(result):
        raise UsageError(f"{text!r} is out of range", where=where)
    return result
