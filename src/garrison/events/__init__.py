"""Importers: event files (Windows, auditd, Garrison JSON lines) and Sigma rule files → engine inputs."""

from garrison.events.auditd import AuditRecord, audit_events, parse_audit_line
from garrison.events.reader import EventRead, ReadProblem, native_event, read_events
from garrison.events.windows import windows_event

__all__ = [
    "AuditRecord",
    "EventRead",
    "ReadProblem",
    "audit_events",
    "native_event",
    "parse_audit_line",
    "read_events",
    "windows_event",
]
