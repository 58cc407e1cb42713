"""Read event files: JSON lines, JSON streams and raw auditd logs → :class:`Event`\\ s plus named problems.

Formats are recognised per record, so one file may mix them:

* Garrison's own lines: ``{"time", "logsource": {"product", "category", "service"}, "fields": {...}}``
  (optional ``source``, ``id``, ``links``; ``time`` in epoch seconds or ISO 8601);
* Windows records, EVTX-as-JSON or flat (:mod:`garrison.events.windows`);
* auditd records, raw ``type=... msg=audit(...)`` lines or already split (:mod:`garrison.events.auditd`).

A file whose first line is not a whole JSON value is read as a JSON stream (pretty-printed or concatenated
objects). A line that cannot be used is reported as a :class:`ReadProblem` naming ``file:line``, never
dropped silently; reading goes on with the next line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from garrison.errors import ConfigError, GarrisonError, LimitExceeded
from garrison.events.auditd import AuditRecord, audit_events, parse_audit_line, record_from_parsed
from garrison.events.windows import is_windows_record, windows_event
from garrison.model import Event, LogSource

__all__ = [
    "MAX_EVENTS",
    "MAX_LINE_BYTES",
    "MAX_STREAM_BYTES",
    "EventRead",
    "ReadProblem",
    "native_event",
    "read_events",
]

MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_STREAM_BYTES = 256 * 1024 * 1024
MAX_EVENTS = 2_000_000
"""Records per file; a larger file is refused (split it) rather than read into memory unbounded."""


@dataclass(frozen=True, slots=True)
class ReadProblem:
    where: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"where": self.where, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class EventRead:
    events: tuple[Event, ...]
    problems: tuple[ReadProblem, ...]


def _time(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"unreadable time {value!r}", where=where) from None
        return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
    raise ConfigError("'time' must be epoch seconds or an ISO 8601 string", where=where)


def native_event(record: Mapping[str, Any], *, where: str) -> Event:
    """Garrison's own event line."""
    ls = record.get("logsource")
    fields = record.get("fields")
    if not isinstance(ls, Mapping) or not isinstance(fields, Mapping):
        raise ConfigError("event needs a 'logsource' object and a 'fields' object", where=where)
    parts: dict[str, str | None] = {}
    for key in ("product", "category", "service"):
        value = ls.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"logsource {key!r} must be a string", where=where)
        parts[key] = value.lower() if isinstance(value, str) else None
    links = record.get("links") or {}
    if not isinstance(links, Mapping):
        raise ConfigError("'links' must be an object", where=where)
    return Event(
        time=_time(record.get("time", 0), where),
        logsource=LogSource(**parts),
        fields=dict(fields),
        source=str(record.get("source") or "garrison"),
        id=str(record["id"]) if record.get("id") is not None else where,
        links={str(k): str(v) for k, v in links.items()},
    )


def _is_parsed_audit(record: Mapping[str, Any]) -> bool:
    return "serial" in record and "type" in record and ("fields" in record or "raw" in record)


def _json_values(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line, value)`` for a JSON stream; one problem stops the stream (positions are lost after it)."""
    if path.stat().st_size > MAX_STREAM_BYTES:
        raise LimitExceeded(f"JSON stream larger than {MAX_STREAM_BYTES} bytes (use JSON lines)", where=str(path))
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise ConfigError(f"invalid JSON (line {err.lineno}, column {err.colno}): {err.msg}",
                              where=f"{path}:{line}") from None
        yield line, value


def _first_line_is_json(path: Path) -> bool:
    with path.open("rb") as handle:
        for raw in handle:
            if raw.strip():
                try:
                    json.loads(raw)
                except ValueError:
                    return False
                return True
    return True


def _line_values(path: Path, problems: list[ReadProblem]) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{path}:{number}"
            if len(raw) > MAX_LINE_BYTES:
                problems.append(ReadProblem(where, f"line longer than {MAX_LINE_BYTES} bytes"))
                continue
            text = raw.decode("utf-8", "replace").strip()
            if not text:
                continue
            if text.startswith("type="):
                yield number, text
                continue
            try:
                yield number, json.loads(text)
            except ValueError as err:
                problems.append(ReadProblem(where, f"invalid JSON: {err}"))


def read_events(path: Path, *, max_events: int = MAX_EVENTS) -> EventRead:
    """Read one event file. Raises :class:`ConfigError` when the file cannot be opened and
    :class:`LimitExceeded` when it holds more than ``max_events`` records."""
    if not path.is_file():
        raise ConfigError("no such event file", where=str(path))
    problems: list[ReadProblem] = []
    events: list[Event] = []
    audit: list[AuditRecord] = []
    try:
        values = _line_values(path, problems) if _first_line_is_json(path) or _is_raw_audit(path) \
            else _json_values(path)
        for number, value in values:
            where = f"{path}:{number}"
            if len(events) + len(audit) >= max_events:
                raise LimitExceeded(f"more than {max_events} records; split the file", where=where)
            try:
                if isinstance(value, str):
                    audit.append(parse_audit_line(value, where=where))
                elif not isinstance(value, Mapping):
                    raise ConfigError("expected a JSON object", where=where)
                elif "logsource" in value and "fields" in value:
                    events.append(native_event(value, where=where))
                elif is_windows_record(value):
                    events.append(windows_event(value, where=where, event_id=where))
                elif _is_parsed_audit(value):
                    audit.append(record_from_parsed(value, where=where))
                else:
                    raise ConfigError("unknown record shape (not a Garrison, Windows or auditd event)",
                                      where=where)
            except GarrisonError as err:
                problems.append(ReadProblem(err.where or where, err.message))
    except LimitExceeded:
        raise
    except GarrisonError as err:
        problems.append(ReadProblem(err.where or str(path), err.message))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read: {err}", where=str(path)) from None
    if audit:
        events.extend(audit_events(audit))
    return EventRead(tuple(events), tuple(problems))


def _is_raw_audit(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(5)
    return head == b"type="
