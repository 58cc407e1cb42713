"""In-memory store: the fake that ships next to the interface. Same contract as SQLite, nothing persisted."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

from garrison.audit.chain import AuditRecord, ChainBase, chain_hash
from garrison.errors import StoreError
from garrison.model import Event, Finding
from garrison.model.scan import ScanResult
from garrison.store.events import EventQuery, batch_name, compile_filter, decoded, filter_of, normalise_batch, take
from garrison.store.interface import PinRecord, RunRecord, ServerRecord, run_status

__all__ = ["MemoryStore"]


class MemoryStore:
    """A :class:`garrison.store.interface.Store` held in dictionaries."""

    def __init__(self) -> None:
        self._runs: dict[str, RunRecord] = {}
        self._findings: dict[str, tuple[Finding, ...]] = {}
        self._servers: dict[str, tuple[ServerRecord, ...]] = {}
        self._pins: list[PinRecord] = []
        self._instance = uuid.uuid4().hex[:8]
        self._seq = 0
        self._events: dict[int, Event] = {}
        self._ids: set[str] = set()
        self._chain: dict[int, tuple[int, str, str]] = {}
        """seq → (position, prev, hash) of audited events."""
        self._base = ChainBase()
        self._tip = (0, self._base.hash)

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

    def _append(self, events: Sequence[Event], *, audit: bool) -> list[str]:
        where = "memory:"
        rows = normalise_batch(events, where=where)
        ids = [event.id if event.id is not None else f"{self._instance}-{self._seq + i}"
               for i, event in enumerate(events, start=1)]
        repeated = [i for i in ids if i in self._ids]
        if repeated or len(set(ids)) != len(ids):
            first = repeated[0] if repeated else next(i for i in ids if ids.count(i) > 1)
            raise StoreError(f"{batch_name(events)} refused, nothing stored: event id {first!r} is already "
                             "used", where=where)
        stored = [decoded(row, event_id) for row, event_id in zip(rows, ids, strict=True)]
        links: list[tuple[int, str, str]] = []
        if audit:
            pos, prev = self._tip
            try:
                for event in stored:
                    pos, digest = pos + 1, chain_hash(prev, event)
                    links.append((pos, prev, digest))
                    prev = digest
            except (TypeError, ValueError) as err:
                raise StoreError(f"{batch_name(events)} refused, nothing stored: {err}", where=where) from None
        for i, event in enumerate(stored):
            self._seq += 1
            self._events[self._seq] = event
            if links:
                self._chain[self._seq] = links[i]
        if links:
            self._tip = (links[-1][0], links[-1][2])
        self._ids.update(ids)
        return ids

    def append_events(self, events: Sequence[Event]) -> list[str]:
        return self._append(events, audit=False)

    def append_audit(self, events: Sequence[Event]) -> list[str]:
        return self._append(events, audit=True)

    def _selected(self, query: EventQuery) -> list[Event]:
        accept = compile_filter(filter_of(query))
        found = [(event.time, seq, event) for seq, event in self._events.items()
                 if (query.since is None or event.time >= query.since)
                 and (query.until is None or event.time < query.until) and accept(event)]
        found.sort(key=lambda t: (t[0], t[1]), reverse=query.order == "desc")
        return [event for _, _, event in found]

    def query_events(self, query: EventQuery) -> Iterator[Event]:
        return take(iter(self._selected(query)), query.limit)

    def count_events(self, query: EventQuery | None = None) -> int:
        return len(self._selected(query or EventQuery()))

    def prune_events(self, older_than: float | None = None, *, max_rows: int | None = None) -> int:
        by_age = [(e.time, seq) for seq, e in self._events.items()]
        by_age.sort()
        excess = max(0, len(by_age) - max_rows) if max_rows is not None else 0
        doomed = {seq for _, seq in by_age[:excess]}
        if older_than is not None:
            doomed.update(seq for t, seq in by_age if t < older_than)
        kept_chain = [pos for seq, (pos, _, _) in self._chain.items() if seq not in doomed]
        keep_until = min(kept_chain) - 1 if kept_chain else max((p for p, _, _ in self._chain.values()), default=0)
        gone = [seq for seq in doomed if seq not in self._chain or self._chain[seq][0] <= keep_until]
        if keep_until > self._base.pos:
            digest = next(h for p, _, h in self._chain.values() if p == keep_until)
            self._base = ChainBase(keep_until, digest, self._base.pruned + keep_until - self._base.pos)
        for seq in gone:
            event = self._events.pop(seq)
            self._ids.discard(event.id or "")
            self._chain.pop(seq, None)
        return len(gone)

    def audit_base(self) -> ChainBase:
        return self._base

    def audit_records(self) -> Iterator[AuditRecord]:
        links = sorted((pos, seq, prev, digest) for seq, (pos, prev, digest) in self._chain.items())
        return iter([AuditRecord(pos, prev, digest, self._events[seq].id or "", self._events[seq])
                     for pos, seq, prev, digest in links])

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
