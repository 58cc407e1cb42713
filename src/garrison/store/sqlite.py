"""SQLite store: the default backend. WAL mode so the console and other readers never block a scan; every
write is one transaction; the schema is migrated on open."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from garrison.errors import StoreError
from garrison.model import Finding
from garrison.model.scan import ScanResult
from garrison.store.interface import PinRecord, RunRecord, ServerRecord, finding_from_json, run_status
from garrison.store.migrate import load_queries, migrate

__all__ = ["DEFAULT_BUSY_TIMEOUT", "SqliteStore"]

DEFAULT_BUSY_TIMEOUT = 5.0
MEMORY = ":memory:"


class SqliteStore:
    """A :class:`garrison.store.interface.Store` in one SQLite file (or ``:memory:``)."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.path = os.fspath(path)
        self._q = load_queries()
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
            migrate(self._conn, where=self.path)
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

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
