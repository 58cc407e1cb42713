"""Events as text for people (a table) or for programs (JSON lines, Garrison's own event format). Pure.

Event values come from untrusted places (tool arguments, command lines), so the table shows control and
invisible characters as escapes: nothing in an event can move the cursor or recolour the terminal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from garrison.model import Event
from garrison.store.events import event_to_dict

__all__ = ["FORMATS", "json_lines", "render", "safe_text", "table_lines"]

FORMATS = ("table", "json")
SUMMARY_WIDTH = 140
_FIRST = ("server", "tool", "decision", "reason", "Image", "CommandLine", "TargetFilename", "TargetObject",
          "DestinationIp", "DestinationPort", "DestinationHostname", "QueryName", "User", "eventName")


def safe_text(text: str) -> str:
    """``text`` with control, format (zero-width, bidi) and other invisible characters escaped."""
    out: list[str] = []
    for ch in text:
        if ch == "\\":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def summary(fields: Mapping[str, Any], width: int = SUMMARY_WIDTH) -> str:
    """``name=value`` pairs, the telling fields first, cut to ``width``."""
    names = [n for n in _FIRST if fields.get(n) not in (None, "")]
    names += [n for n in fields if n not in names and fields[n] not in (None, "")]
    text = " ".join(f"{name}={_value(fields[name])}" for name in names)
    text = safe_text(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _time(value: float) -> str:
    try:
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    except (OverflowError, OSError, ValueError):
        return str(value)


def table_lines(events: Iterable[Event]) -> Iterator[str]:
    """A header, then one line per event: time (UTC), id, log source, source, summary."""
    yield f"{'TIME':<24} {'ID':<18} {'LOGSOURCE':<32} {'SOURCE':<14} SUMMARY\n"
    for event in events:
        ls = event.logsource
        logsource = "/".join(part for part in (ls.product, ls.category, ls.service) if part) or "-"
        yield (f"{_time(event.time):<24} {safe_text(event.id or '-'):<18} {safe_text(logsource):<32} "
               f"{safe_text(event.source):<14} {summary(event.fields)}\n")


def json_lines(events: Iterable[Event]) -> Iterator[str]:
    """One JSON object per line, readable by ``garrison detect --events``."""
    for event in events:
        yield orjson.dumps(event_to_dict(event), option=orjson.OPT_NON_STR_KEYS).decode() + "\n"


def render(events: Iterable[Event], fmt: str) -> Iterator[str]:
    if fmt == "json":
        return json_lines(events)
    return table_lines(events)
