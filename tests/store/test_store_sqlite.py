"""SQLite specifics: migrations equal schema.sql, WAL readers, refusal of unknown databases."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

from garrison.errors import StoreError
from garrison.model.scan import ScanResult, ServerResult
from garrison.store import MemoryStore, open_store
from garrison.store.migrate import load_queries, migrate, migrations, schema_sql, split_statements
from garrison.store.sqlite import SqliteStore


def describe(conn: sqlite3.Connection) -> dict[str, Any]:
    """The structure of a database, independent of how its SQL text was written."""
    out: dict[str, Any] = {}
    objects = conn.execute("SELECT type, name, tbl_name FROM sqlite_master "
                           "WHERE name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    for kind, name, table in objects:
        if kind == "table":
            out[name] = {
                "columns": conn.execute(f"PRAGMA table_xinfo('{name}')").fetchall(),
                "foreign_keys": conn.execute(f"PRAGMA foreign_key_list('{name}')").fetchall(),
                "checks": sorted(
                    part.strip() for part in
                    conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
                    .split("\n") if "CHECK" in part),
            }
        else:
            out[name] = {"type": kind, "table": table,
                         "columns": conn.execute(f"PRAGMA index_xinfo('{name}')").fetchall()}
    return out


def test_migrations_produce_schema_sql() -> None:
    migrated = sqlite3.connect(":memory:", isolation_level=None)
    version = migrate(migrated, where="test")
    assert version == len(migrations())
    assert migrated.execute("PRAGMA user_version").fetchone()[0] == version
    fresh = sqlite3.connect(":memory:", isolation_level=None)
    for statement in split_statements(schema_sql()):
        fresh.execute(statement)
    assert describe(migrated) == describe(fresh)
    assert set(describe(fresh)) >= {"runs", "run_servers", "findings", "pin_history"}


PARAMS = ("id", "started", "finished", "status", "source", "run_id", "position", "name", "error", "elapsed",
          "fingerprint", "rule", "severity", "server", "target", "body", "time", "action", "old_hash",
          "new_hash", "limit")


def test_named_queries_all_prepare_against_the_schema() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn, where="test")
    queries = load_queries()
    assert {"insert_run", "list_runs", "pin_history"} <= set(queries)
    for name, sql in queries.items():
        try:
            conn.execute(f"EXPLAIN {sql}", dict.fromkeys(PARAMS))
        except sqlite3.Error as err:
            pytest.fail(f"query {name}: {err}")


def test_migration_is_idempotent_and_data_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    with SqliteStore(path) as store:
        run = store.record_scan(ScanResult((ServerResult("fs", "ok"),)), source="x")
    with SqliteStore(path) as store:
        assert store.get_run(run.id) == run


def test_wal_mode_and_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    writer = SqliteStore(path)
    first = writer.record_scan(ScanResult((ServerResult("fs", "ok"),), started=1.0), source="a")
    raw = sqlite3.connect(path, isolation_level=None, timeout=0)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("INSERT INTO runs (id, started, finished, status, source) "
                "VALUES ('pending', 9, 9, 'complete', 'w')")
    readers = [SqliteStore(path, timeout=0) for _ in range(2)]
    for reader in readers:
        assert [r.id for r in reader.list_runs()] == [first.id]
    raw.execute("COMMIT")
    for reader in readers:
        assert [r.id for r in reader.list_runs()] == ["pending", first.id]
        reader.close()
    raw.close()
    writer.close()


def test_a_second_writer_fails_cleanly_when_the_database_stays_locked(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    SqliteStore(path).close()
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    with SqliteStore(path, timeout=0) as other:
        with pytest.raises(StoreError, match="database is locked") as err:
            other.record_scan(ScanResult(()), source="x")
        assert err.value.where == str(path)
    raw.execute("ROLLBACK")
    raw.close()


def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    SqliteStore(path).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 999")
    raw.close()
    with pytest.raises(StoreError, match="schema version 999 is newer") as err:
        SqliteStore(path)
    assert err.value.where == str(path)


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot use database") as err:
        SqliteStore(path)
    assert err.value.where == str(path)


def test_failed_migration_leaves_the_database_untouched() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE runs (x INTEGER)")
    with pytest.raises(StoreError, match=r"migration 0001_initial\.sql failed: table runs already exists"):
        migrate(conn, where="db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"runs"}


def test_split_statements_rejects_a_dangling_statement() -> None:
    assert split_statements("-- c\nSELECT 1;\n\nSELECT ';';\n") == ["SELECT 1;", "SELECT ';';"]
    with pytest.raises(StoreError, match="incomplete SQL statement"):
        split_statements("SELECT 1")


def test_open_store_urls(tmp_path: Path) -> None:
    store = open_store(f"sqlite://{tmp_path}/x.db")
    assert isinstance(store, SqliteStore)
    store.close()
    assert (tmp_path / "x.db").exists()
    for bad, message in (("postgresql://localhost/g", "unsupported store URL scheme 'postgresql'"),
                         ("sqlite://", "names no file")):
        with pytest.raises(StoreError, match=message) as err:
            open_store(bad)
        assert err.value.where == bad


def test_open_store_defaults_to_the_environment(tmp_path: Path) -> None:
    assert isinstance(open_store(environ={"GARRISON_DB": "memory:"}), MemoryStore)
    store = open_store(environ={"GARRISON_DB": f"sqlite://{tmp_path}/env.db"})
    store.close()
    assert (tmp_path / "env.db").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG data directory is the Linux default")
def test_open_store_without_garrison_db_uses_the_xdg_path(tmp_path: Path) -> None:
    store = open_store(environ={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    store.close()
    assert (tmp_path / "xdg" / "garrison" / "garrison.db").exists()
