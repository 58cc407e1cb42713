"""In-memory store: the fake that ships next to the interface. Same contract as SQLite, nothing persisted."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from garrison.model import Finding
from garrison.model.scan import ScanResult
from garrison.store.interface import PinRecord, RunRecord, ServerRecord, run_status

__all__ = ["MemoryStore"]


class MemoryStore:
    """A :class:`garrison.store.interface.Store` held in dictionaries."""

    def __init__(self) -> None:
        self._runs: dict[str, RunRecord] = {}
        self._findings: dict[str, tuple[Finding, ...]] = {}
        self._servers: dict[str, tuple[ServerRecord, ...]] = {}
        self._pins: list[PinRecord] = []

    def record_scan(self, result: ScanResult, *, source: str) -> RunRecord:
        record = RunRecord(uuid.uuid4().hex, result.started, result.finished, run_status(result), source)
        self._runs[record.id] = record
        self._findings[record.id] = tuple(result.findings)
        self._servers[record.id] = tuple(
            ServerRecord(s.name, s.status, s.error, s.elapsed) for s in result.servers
        )
        return record

    def get_run(self, run_id: str) -> RunRecord | None:
        return self._runs.get(run_id)

    def list_runs(self, *, limit: int = 50) -> list[RunRecord]:
        order = {run_id: i for i, run_id in enumerate(self._runs)}
        runs = sorted(self._runs.values(), key=lambda r: (r.started, order[r.id]), reverse=True)
        return runs[:limit]

    def run_findings(self, run_id: str) -> list[Finding]:
        return list(self._findings.get(run_id, ()))

    def run_servers(self, run_id: str) -> list[ServerRecord]:
        return list(self._servers.get(run_id, ()))

    def record_pins(self, records: Sequence[PinRecord]) -> None:
        self._pins.extend(records)

    def pin_history(self, *, server: str | None = None, limit: int = 100) -> list[PinRecord]:
        indexed = [(p.time, i, p) for i, p in enumerate(self._pins) if server is None or p.server == server]
        indexed.sort(key=lambda t: (t[0], t[1]), reverse=True)
        return [p for _, _, p in indexed[:limit]]

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
