"""SQL files of the SQLite store: named queries and append-only migrations tracked by ``PRAGMA user_version``.

Migration ``NNNN_<what>.sql`` moves a database from version ``NNNN - 1`` to ``NNNN``. Files are never edited
once released; a change is a new file, and ``schema.sql`` is updated to match (a test compares them).
"""

from __future__ import annotations

import re
import sqlite3
from functools import cache
from importlib import resources

from garrison.errors import StoreError

__all__ = ["load_queries", "migrate", "migrations", "schema_sql", "split_statements"]

_SQL = resources.files("garrison.store") / "sql"
_MIGRATION = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
_NAME = re.compile(r"^-- name: ([a-z_]+)\s*$", re.MULTILINE)


def split_statements(script: str) -> list[str]:
    """Split a script into complete statements (comments and blank lines between them dropped)."""
    out: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise StoreError("incomplete SQL statement at end of script", where=buffer.strip()[:60])
    return out


@cache
def load_queries() -> dict[str, str]:
    """``name`` → SQL of every ``-- name:`` block in ``sql/queries.sql``."""
    text = (_SQL / "queries.sql").read_text(encoding="utf-8")
    parts = _NAME.split(text)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


@cache
def migrations() -> tuple[tuple[int, str, str], ...]:
    """``(version, file name, SQL)`` in order; versions must run 1, 2, 3… without gaps."""
    found = []
    for entry in (_SQL / "migrations").iterdir():
        match = _MIGRATION.fullmatch(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    for expected, (version, name, _) in enumerate(found, start=1):
        if version != expected:
            raise StoreError(f"migration {name} breaks the sequence (expected {expected:04d})", where=name)
    return tuple(found)


def schema_sql() -> str:
    return (_SQL / "schema.sql").read_text(encoding="utf-8")


def migrate(conn: sqlite3.Connection, *, where: str) -> int:
    """Bring ``conn`` (autocommit mode) to the latest version and return it. Pending migrations run in one
    transaction, so a failure leaves the database as it was; a newer database is refused, not guessed at."""
    steps = migrations()
    latest = steps[-1][0] if steps else 0
    if int(conn.execute("PRAGMA user_version").fetchone()[0]) == latest:
        return latest  # up to date: no write lock, so opening never waits for a running writer
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if current > latest:
            raise StoreError(f"database schema version {current} is newer than this Garrison ({latest})",
                             where=where)
        for version, name, script in steps[current:]:
            try:
                for statement in split_statements(script):
                    conn.execute(statement)
            except sqlite3.Error as err:
                raise StoreError(f"migration {name} failed: {err}", where=where) from err
            conn.execute(f"PRAGMA user_version = {version:d}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return latest
