"""Linux auditd records → Sigma ``auditd`` events, and ``process_creation`` events for each ``execve``.

A raw line looks like ``type=EXECVE msg=audit(1604994496.155:92733): argc=2 a0="arp" a1="-a"``. Values are
quoted, bare, or hex-encoded (arguments with spaces, ``proctitle``); hex is decoded as auditd's own tools do.
Every record becomes one event (log source ``linux``/``auditd``, fields ``type`` plus the record's keys), as
SigmaHQ's auditd rules expect. Records sharing a serial form one audit event; when it holds a successful
``execve`` SYSCALL, an extra ``linux``/``process_creation`` event is made with Sigma's names: ``Image``
(``exe``), ``CommandLine`` (the ``EXECVE`` arguments), ``ProcessId``, ``ParentProcessId``, ``User``,
``CurrentDirectory``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from garrison.errors import ConfigError
from garrison.model import Event, LogSource

__all__ = ["AuditRecord", "audit_events", "parse_audit_line", "record_from_parsed"]

_HEADER = re.compile(r"^type=(?P<type>\S+)\s+msg=audit\((?P<ts>\d+(?:\.\d+)?):(?P<serial>\d+)\):\s?(?P<body>.*)$")
_PAIR = re.compile(r"""(?P<key>[\w-]+)=(?P<value>"[^"]*"|'[^']*'|\S*)""")
_HEX = re.compile(r"^(?:[0-9A-F]{2})+$")
_EXECVE_SYSCALLS = frozenset({"59", "322", "11", "221", "execve", "execveat"})
_HEX_KEYS = frozenset({"proctitle", "cmd", "name", "cwd", "exe", "comm", "data"})


@dataclass(frozen=True, slots=True)
class AuditRecord:
    type: str
    timestamp: float
    serial: int
    fields: Mapping[str, str]
    where: str


def _decode(record_type: str, key: str, value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    hex_key = key in _HEX_KEYS or (record_type == "EXECVE" and re.fullmatch(r"a\d+", key) is not None)
    if hex_key and _HEX.match(value):
        return bytes.fromhex(value).replace(b"\0", b" ").decode("utf-8", "replace").strip()
    return value


def parse_audit_line(line: str, *, where: str) -> AuditRecord:
    """One raw auditd line. Raises :class:`ConfigError` naming ``where`` when it is not an audit record."""
    match = _HEADER.match(line.strip())
    if match is None:
        raise ConfigError("not an auditd record (expected 'type=... msg=audit(TIME:SERIAL): ...')", where=where)
    fields = {m["key"]: _decode(match["type"], m["key"], m["value"]) for m in _PAIR.finditer(match["body"])}
    return AuditRecord(match["type"], float(match["ts"]), int(match["serial"]), fields, where)


def record_from_parsed(data: Mapping[str, Any], *, where: str) -> AuditRecord:
    """A record already split into ``{"type", "timestamp", "serial", "fields"}`` (or with the ``raw`` line)."""
    raw = data.get("raw")
    if isinstance(raw, str) and raw.startswith("type="):
        return parse_audit_line(raw, where=where)
    try:
        fields = {str(k): str(v) for k, v in dict(data["fields"]).items()}
        return AuditRecord(str(data["type"]), float(data["timestamp"]), int(data["serial"]), fields, where)
    except (KeyError, TypeError, ValueError):
        raise ConfigError("auditd record needs 'type', 'timestamp', 'serial' and 'fields'", where=where) from None


def _argv(execve: Mapping[str, str]) -> list[str]:
    try:
        argc = int(execve.get("argc", "0"))
    except ValueError:
        argc = 0
    count = max(argc, sum(1 for k in execve if re.fullmatch(r"a\d+", k)))
    return [execve[f"a{i}"] for i in range(count) if f"a{i}" in execve]


def _process_event(group: list[AuditRecord]) -> Event | None:
    syscall = next((r for r in group if r.type == "SYSCALL"), None)
    execve = next((r for r in group if r.type == "EXECVE"), None)
    if syscall is None or execve is None:
        return None
    if syscall.fields.get("syscall") not in _EXECVE_SYSCALLS or syscall.fields.get("success", "yes") != "yes":
        return None
    argv = _argv(execve.fields)
    cwd = next((r.fields.get("cwd") for r in group if r.type == "CWD"), None)
    uid = syscall.fields.get("uid")
    fields: dict[str, Any] = {
        "Image": syscall.fields.get("exe", argv[0] if argv else ""),
        "CommandLine": " ".join(argv),
        "ProcessId": syscall.fields.get("pid"),
        "ParentProcessId": syscall.fields.get("ppid"),
        "User": "root" if uid == "0" else uid,
        "LogonId": syscall.fields.get("auid"),
        "CurrentDirectory": cwd,
        "comm": syscall.fields.get("comm"),
    }
    return Event(
        time=syscall.timestamp,
        logsource=LogSource(product="linux", category="process_creation"),
        fields={k: v for k, v in fields.items() if v is not None},
        source="auditd",
        id=execve.where,
        links={"audit_serial": str(syscall.serial)},
    )


def audit_events(records: Iterable[AuditRecord]) -> list[Event]:
    """Per-record ``auditd`` events, each followed (at its serial's end) by its ``process_creation`` event."""
    out: list[Event] = []
    group: list[AuditRecord] = []

    def flush() -> None:
        if group:
            process = _process_event(group)
            if process is not None:
                out.append(process)
            group.clear()

    for record in records:
        if group and group[0].serial != record.serial:
            flush()
        group.append(record)
        out.append(Event(
            time=record.timestamp,
            logsource=LogSource(product="linux", service="auditd"),
            fields={"type": record.type, **record.fields},
            source="auditd",
            id=record.where,
            links={"audit_serial": str(record.serial)},
        ))
    flush()
    return out
