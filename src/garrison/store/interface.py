"""The store protocol: what Garrison remembers between runs, whatever the backend.

Backends (``memory``, ``sqlite``) satisfy :class:`Store` and pass one contract test suite. Records are frozen
values; times are seconds since the epoch (UTC) and are given by the caller, so backends hold no clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from garrison.model import Evidence, Finding, Severity
from garrison.model.scan import ScanResult, ServerStatus

__all__ = [
    "PinAction",
    "PinRecord",
    "RunRecord",
    "RunStatus",
    "ServerRecord",
    "Store",
    "finding_from_json",
    "run_status",
]

RunStatus = Literal["complete", "incomplete"]
PinAction = Literal["pinned", "approved", "drift"]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One scan run. ``source`` says what was scanned (``config``, a snapshot path, ``gateway``)."""

    id: str
    started: float
    finished: float
    status: RunStatus
    source: str


@dataclass(frozen=True, slots=True)
class ServerRecord:
    """How one server fared in one run."""

    name: str
    status: ServerStatus
    error: str | None = None
    elapsed: float | None = None


@dataclass(frozen=True, slots=True)
class PinRecord:
    """One step in a server's pin history: pinned first, approved later, or drift detected by a scan."""

    time: float
    server: str
    target: str
    action: PinAction
    old_hash: str | None = None
    new_hash: str | None = None


def run_status(result: ScanResult) -> RunStatus:
    return "incomplete" if result.incomplete else "complete"


def finding_from_json(data: Mapping[str, Any]) -> Finding:
    """Inverse of :meth:`Finding.to_json` (the stored form of a finding)."""
    evidence = data.get("evidence")
    return Finding(
        rule=data["rule"],
        title=data["title"],
        severity=Severity.parse(data["severity"]),
        server=data["server"],
        target=data["target"],
        location=data["location"],
        message=data["message"],
        evidence=Evidence(
            text=evidence["text"],
            start=evidence.get("start"),
            end=evidence.get("end"),
            decoded=evidence.get("decoded"),
        ) if evidence else None,
        remediation=data.get("remediation", ""),
        techniques=tuple(data.get("techniques", ())),
        related=tuple(data.get("related", ())),
    )


class Store(Protocol):
    """Scan runs with their findings and per-server status, and pin history."""

    def record_scan(self, result: ScanResult, *, source: str) -> RunRecord:
        """Keep ``result`` as a new run and return its record (with a fresh ``id``)."""
        ...

    def get_run(self, run_id: str) -> RunRecord | None: ...

    def list_runs(self, *, limit: int = 50) -> list[RunRecord]:
        """Newest first."""
        ...

    def run_findings(self, run_id: str) -> list[Finding]:
        """The run's findings in the order they were recorded."""
        ...

    def run_servers(self, run_id: str) -> list[ServerRecord]: ...

    def record_pins(self, records: Sequence[PinRecord]) -> None: ...

    def pin_history(self, *, server: str | None = None, limit: int = 100) -> list[PinRecord]:
        """Newest first, optionally for one server."""
        ...

    def close(self) -> None: ...
