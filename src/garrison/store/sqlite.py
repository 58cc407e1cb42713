"""SQLite store: the default backend. WAL mode so the console and other readers never block a scan; every
write is one transaction; the schema is migrated on open.

Durability: the file runs with ``synchronous = NORMAL`` in WAL mode, so a commit does not wait for the disk
to sync. A crash of Garrison loses nothing committed; a power loss or OS crash can lose the last
transactions (whole batches, never part of one) but never corrupts the database. ``synchronous = FULL``
would sync every commit and roughly halve batched append speed on ordinary disks.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from garrison.audit.chain import AuditRecord, ChainBase, chain_hash
from garrison.errors import StoreError
from garrison.model import Event, Finding
from garrison.model.scan import ScanResult
from garrison.store.events import EventQuery, Row, batch_name, compile_filter, decoded, normalise_batch, take
from garrison.store.events_bulk import defer, restore
from garrison.store.events_sql import event_of_row, load_event_queries, translate
from garrison.store.interface import PinRecord, RunRecord, ServerRecord, finding_from_json, run_status
from garrison.store.migrate import load_queries, migrate

__all__ = ["DEFAULT_BUSY_TIMEOUT", "SqliteStore"]

DEFAULT_BUSY_TIMEOUT = 5.0
MEMORY = ":memory:"
FETCH = 512


def _values(rows: Sequence[Row], seq: int, prefix: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The ids and ``insert_event`` parameters of each row, numbered from ``seq + 1``; an event without an
    id gets ``<prefix>-<seq>``. This is the hot loop of an append: one tuple per row, nothing else."""
    ids: list[str] = []
    out: list[tuple[Any, ...]] = []
    add_id, append = ids.append, out.append
    for event, fields_json, links_json in rows:
        seq += 1
        event_id = event.id
        if event_id is None:
            event_id = f"{prefix}-{seq}"
        add_id(event_id)
        ls, links = event.logsource, event.links
        if links:
            server, call_id, guid = links.get("server"), links.get("call_id"), links.get("process_guid")
        else:
            server = call_id = guid = None
        append((seq, event_id, event.time, ls.product, ls.category, ls.service, event.source, server, call_id,
                guid, fields_json, links_json))
    return ids, out


class SqliteStore:
    """A :class:`garrison.store.interface.Store` in one SQLite file (or ``:memory:``)."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.path = os.fspath(path)
        self._q = load_queries()
        self._eq = load_event_queries()
        try:
            if self.path != MEMORY:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                         check_same_thread=False)
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"cannot open database: {err}", where=self.path) from err
        try:
            self._conn.execute("PRAGMA foreign_keys = ON")
            if self.path != MEMORY:
                mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"cannot switch to WAL mode (got {mode!r})", where=self.path)
                self._conn.execute("PRAGMA synchronous = NORMAL")
            migrate(self._conn, where=self.path)
            row = self._conn.execute(self._eq["instance"]).fetchone()
            if row is None:
                raise StoreError("database has no store instance key (not made by Garrison?)", where=self.path)
            self._instance = str(row[0])
            if self._conn.execute(self._eq["deferred_get"]).fetchone() is not None:
                with self._write() as conn:
                    restore(conn, self._eq)
        except sqlite3.Error as err:
            self._conn.close()
            raise StoreError(f"cannot use database: {err}", where=self.path) from err
        except BaseException:
            self._conn.close()
            raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise StoreError(f"cannot start a write: {err}", where=self.path) from err
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except sqlite3.Error as err:
            self._conn.execute("ROLLBACK")
            raise StoreError(f"write failed: {err}", where=self.path) from err
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def _read(self, name: str, **params: Any) -> list[sqlite3.Row]:
        try:
            cur = self._conn.execute(self._q[name], params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()
        except sqlite3.Error as err:
            raise StoreError(f"query {name} failed: {err}", where=self.path) from err

    def record_scan(self, result: ScanResult, *, source: str) -> RunRecord:
        record = RunRecord(uuid.uuid4().hex, result.started, result.finished, run_status(result), source)
        with self._write() as conn:
            conn.execute(self._q["insert_run"], {"id": record.id, "started": record.started,
                                                 "finished": record.finished, "status": record.status,
                                                 "source": record.source})
            conn.executemany(self._q["insert_server"], [
                {"run_id": record.id, "position": i, "name": s.name, "status": s.status, "error": s.error,
                 "elapsed": s.elapsed}
                for i, s in enumerate(result.servers)
            ])
            conn.executemany(self._q["insert_finding"], [
                {"run_id": record.id, "position": i, "fingerprint": f.fingerprint, "rule": f.rule,
                 "severity": int(f.severity), "server": f.server, "target": f.target,
                 "body": json.dumps(f.to_json(), sort_keys=True, ensure_ascii=False)}
                for i, f in enumerate(result.findings)
            ])
        return record

    @staticmethod
    def _run(row: sqlite3.Row) -> RunRecord:
        return RunRecord(row["id"], row["started"], row["finished"], row["status"], row["source"])

    def get_run(self, run_id: str) -> RunRecord | None:
        rows = self._read("get_run", id=run_id)
        return self._run(rows[0]) if rows else None

    def list_runs(self, *, limit: int = 50) -> list[RunRecord]:
        return [self._run(row) for row in self._read("list_runs", limit=limit)]

    def run_findings(self, run_id: str) -> list[Finding]:
        rows = self._read("run_findings", run_id=run_id)
        return [finding_from_json(json.loads(row["body"])) for row in rows]

    def run_servers(self, run_id: str) -> list[ServerRecord]:
        return [ServerRecord(row["name"], row["status"], row["error"], row["elapsed"])
                for row in self._read("run_servers", run_id=run_id)]

    def record_pins(self, records: Sequence[PinRecord]) -> None:
        with self._write() as conn:
            conn.executemany(self._q["insert_pin_event"], [
                {"time": r.time, "server": r.server, "target": r.target, "action": r.action,
                 "old_hash": r.old_hash, "new_hash": r.new_hash}
                for r in records
            ])

    def pin_history(self, *, server: str | None = None, limit: int = 100) -> list[PinRecord]:
        return [PinRecord(row["time"], row["server"], row["target"], row["action"], row["old_hash"],
                          row["new_hash"])
                for row in self._read("pin_history", server=server, limit=limit)]

    def _append(self, events: Sequence[Event], *, audit: bool) -> list[str]:
        rows = normalise_batch(events, where=self.path)
        if not rows:
            return []
        q, prefix = self._eq, self._instance
        with self._write() as conn:
            try:
                last = conn.execute(q["last_seq"]).fetchone()
                seq = int(last[0]) if last else 0
                ids, values = _values(rows, seq, prefix)
                if audit:
                    head = conn.execute(q["chain_head"]).fetchone()
                    base = self._base(conn)
                    pos, prev = (int(head[0]), str(head[1])) if head else (base.pos, base.hash)
                    chained: list[tuple[Any, ...]] = []
                    for row, event_id, value in zip(rows, ids, values, strict=True):
                        pos, digest = pos + 1, chain_hash(prev, decoded(row, event_id))
                        chained.append((*value, pos, prev, digest))
                        prev = digest
                    conn.executemany(q["insert_audit_event"], chained)
                else:
                    conn.executemany(q["insert_event"], values)
            except sqlite3.IntegrityError as err:
                reason = "an event id is already used" if "events.id" in str(err) else str(err)
                raise StoreError(f"{batch_name(events)} refused, nothing stored: {reason}",
                                 where=self.path) from err
            except (sqlite3.Error, TypeError, ValueError) as err:
                raise StoreError(f"{batch_name(events)} refused, nothing stored: {err}", where=self.path) from err
        return ids

    def append_events(self, events: Sequence[Event]) -> list[str]:
        return self._append(events, audit=False)

    @contextmanager
    def deferred_indexes(self) -> Iterator[list[str]]:
        """For a bulk import: appends inside the block skip the read-only indexes (time, log source,
        server), which are built once when it ends (see :mod:`garrison.store.events_bulk`). Batches stay
        all-or-nothing and ids unique. Yields the names deferred: none when another import already has.
        Worth it when the import is large next to the store (each end rebuilds over every stored event)."""
        with self._write() as conn:
            dropped = defer(conn, self._eq, pid=os.getpid(), where=self.path)
        try:
            yield dropped
        finally:
            if dropped:
                with self._write() as conn:
                    restore(conn, self._eq, force=True)

    def append_audit(self, events: Sequence[Event]) -> list[str]:
        return self._append(events, audit=True)

    def _rows(self, sql: str, params: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        """Rows in batches; the cursor (and its read snapshot) ends when the caller stops reading."""
        try:
            cur = self._conn.execute(sql, params)
        except sqlite3.Error as err:
            raise StoreError(f"reading events failed: {err}", where=self.path) from err
        try:
            while batch := cur.fetchmany(FETCH):
                yield from batch
        except sqlite3.Error as err:
            raise StoreError(f"reading events failed: {err}", where=self.path) from err
        finally:
            cur.close()

    def _events(self, query: EventQuery) -> Iterator[Event]:
        plan = translate(query)
        try:
            events = (event_of_row(row) for row in self._rows(plan.sql, plan.params))
            if plan.exact:
                yield from events
            else:
                accept = compile_filter(plan.filter)
                yield from take((e for e in events if accept(e)), query.limit)
        except orjson.JSONDecodeError as err:
            raise StoreError(f"a stored event does not decode: {err}", where=self.path) from err

    def query_events(self, query: EventQuery) -> Iterator[Event]:
        return self._events(query)

    def count_events(self, query: EventQuery | None = None) -> int:
        query = query or EventQuery()
        plan = translate(query, count=True)
        if plan.exact:
            return int(next(self._rows(plan.sql, plan.params))[0])
        return sum(1 for _ in self._events(replace(query, limit=None)))

    def _base(self, conn: sqlite3.Connection) -> ChainBase:
        row = conn.execute(self._eq["audit_base"]).fetchone()
        return ChainBase(int(row[0]), str(row[1]), int(row[2])) if row else ChainBase()

    def prune_events(self, older_than: float | None = None, *, max_rows: int | None = None) -> int:
        q = self._eq
        with self._write() as conn:
            excess = 0
            if max_rows is not None:
                excess = max(0, int(conn.execute(q["count_all"]).fetchone()[0]) - max_rows)
            params: dict[str, Any] = {"cutoff": older_than, "excess": excess}
            keep_from = conn.execute(q["prune_keep_from"], params).fetchone()[0]
            keep_until = int(keep_from) - 1 if keep_from is not None else int(
                conn.execute(q["chain_last"]).fetchone()[0] or 0)
            base = self._base(conn)
            if keep_until > base.pos:
                found = conn.execute(q["chain_hash_at"], {"pos": keep_until}).fetchone()
                if found is None:
                    raise StoreError(f"audit chain record {keep_until} is missing; nothing pruned "
                                     "(run 'garrison audit verify')", where=self.path)
                conn.execute(q["set_audit_base"], {"pos": keep_until, "hash": found[0],
                                                   "pruned": base.pruned + keep_until - base.pos})
            return int(conn.execute(q["prune"], {**params, "keep_until": keep_until}).rowcount)

    def audit_base(self) -> ChainBase:
        try:
            return self._base(self._conn)
        except sqlite3.Error as err:
            raise StoreError(f"reading the audit base failed: {err}", where=self.path) from err

    def audit_records(self) -> Iterator[AuditRecord]:
        for row in self._rows(self._eq["audit_records"], ()):
            pos, prev, digest, event_id = row[:4]
            try:
                event: Event | None = event_of_row(row[3:])
                problem = None
            except (orjson.JSONDecodeError, TypeError, ValueError) as err:
                event, problem = None, str(err)
            yield AuditRecord(int(pos), str(prev), str(digest), str(event_id), event, problem)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
