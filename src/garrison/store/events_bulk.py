"""Deferred index building for bulk imports into the SQLite store.

Every append writes each index of the events table; for a large import it is cheaper to drop the indexes
that only speed up reading (time, log source, server), append, and build them once at the end by sorting.
The unique indexes (event ids, audit-chain positions) stay, so every batch is still checked and stored whole
or not at all, and readers and other writers carry on meanwhile (their queries are slower, never wrong).

The dropped definitions are kept in ``store_meta`` (key ``deferred_indexes``) in the same transaction that
drops them, with the importing process id. :func:`restore` builds them again and clears the record in one
transaction: at the end of the import, or when the store is next opened after the importer died.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Mapping

import orjson

from garrison.errors import StoreError

__all__ = ["defer", "importer_alive", "restore"]


def _record(conn: sqlite3.Connection, queries: Mapping[str, str]) -> dict[str, object] | None:
    row = conn.execute(queries["deferred_get"]).fetchone()
    if row is None:
        return None
    value = orjson.loads(row[0])
    return value if isinstance(value, dict) else None


def importer_alive(pid: object, *, own_pid: int | None = None) -> bool:
    """Whether the process that deferred the indexes may still be importing (so they are left to it). Only
    POSIX can ask without side effects; elsewhere the importer is taken as gone."""
    if not isinstance(pid, int) or pid <= 0 or os.name != "posix":
        return False
    if pid == (os.getpid() if own_pid is None else own_pid):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def defer(conn: sqlite3.Connection, queries: Mapping[str, str], *, pid: int, where: str) -> list[str]:
    """Drop the non-unique event indexes (in the caller's write transaction) and record their definitions.
    Returns the names dropped (none when another import already deferred them)."""
    record = _record(conn, queries)
    if record is not None:
        return []
    found = conn.execute(queries["deferrable_indexes"]).fetchall()
    if not found:
        return []
    conn.execute(queries["deferred_set"], (orjson.dumps({"pid": pid, "indexes": [sql for _, sql in found]})
                                           .decode(),))
    for name, _ in found:
        if not name.replace("_", "").isalnum():
            raise StoreError(f"unexpected index name {name!r}; nothing deferred", where=where)
        conn.execute(f'DROP INDEX "{name}"')
    return [name for name, _ in found]


def restore(conn: sqlite3.Connection, queries: Mapping[str, str], *,
            alive: Callable[[object], bool] = importer_alive, force: bool = False) -> int:
    """Build the deferred indexes again (in the caller's write transaction) and clear the record, unless
    their importer is still alive and ``force`` is false. Returns how many were built."""
    record = _record(conn, queries)
    if record is None or (not force and alive(record.get("pid"))):
        return 0
    statements = record.get("indexes")
    built = 0
    for sql in statements if isinstance(statements, list) else []:
        if isinstance(sql, str) and sql.upper().startswith("CREATE INDEX "):
            conn.execute("CREATE INDEX IF NOT EXISTS " + sql[len("CREATE INDEX "):])
            built += 1
    conn.execute(queries["deferred_clear"])
    return built
