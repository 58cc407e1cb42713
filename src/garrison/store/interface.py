"""The store protocol: what Garrison remembers between runs, whatever the backend.

Backends (``memory``, ``sqlite``) satisfy :class:`Store` and pass one contract test suite. Records are frozen
values; times are seconds since the epoch (UTC) and are given by the caller, so backends hold no clock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from garrison.model import Event, Evidence, Finding, Severity
from garrison.model.scan import ScanResult, ServerStatus

if TYPE_CHECKING:
    from garrison.audit.chain import AuditRecord, ChainBase
    from garrison.store.events import EventQuery

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
    """Scan runs with their findings and per-server status, pin history, events and the audit chain."""

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

    def append_events(self, events: Sequence[Event]) -> list[str]:
        """Store a batch in one transaction and return the events' ids (kept when given, else assigned).
        A batch that cannot be stored whole raises :class:`~garrison.errors.StoreError` naming it; nothing of
        it is kept."""
        ...

    def append_audit(self, events: Sequence[Event]) -> list[str]:
        """As :meth:`append_events`, and link each event into the store's audit hash chain."""
        ...

    def query_events(self, query: EventQuery) -> Iterator[Event]:
        """Events matching ``query`` (see :mod:`garrison.store.events`), as stored."""
        ...

    def count_events(self, query: EventQuery | None = None) -> int:
        """How many events match (``limit`` ignored)."""
        ...

    def prune_events(self, older_than: float | None = None, *, max_rows: int | None = None) -> int:
        """Delete events with ``time < older_than`` and the oldest beyond ``max_rows``; return how many went.
        Audit-chain records go only as a prefix of the chain, whose new start is kept as its base."""
        ...

    def audit_base(self) -> ChainBase:
        """Where the stored chain starts (after records removed by retention)."""
        ...

    def audit_records(self) -> Iterator[AuditRecord]:
        """The chain's records in chain order, events as stored now."""
        ...

    def close(self) -> None: ...
