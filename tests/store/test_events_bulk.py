"""Deferred index building for bulk imports into the SQLite store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from garrison.errors import StoreError
from garrison.model import Event, LogSource
from garrison.store.events import EventQuery
from garrison.store.events_bulk import defer, importer_alive
from garrison.store.events_sql import load_event_queries
from garrison.store.sqlite import SqliteStore

PROC = LogSource("windows", "process_creation")
CALL = LogSource("mcp", "tool_call")
READ_INDEXES = {"events_logsource", "events_server", "events_time"}


def events(start: int, count: int) -> list[Event]:
    return [Event(float(i), CALL if i % 3 == 0 else PROC, {"n": i}, "sysmon",
                  links={"server": "fs"} if i % 3 == 0 else {}) for i in range(start, start + count)]


def event_indexes(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL")}
    finally:
        conn.close()


def dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True)
    return int(child.stdout)


def test_indexes_are_dropped_for_the_import_and_built_again_after(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    with SqliteStore(path) as store:
        store.append_events(events(0, 10))
        before = event_indexes(path)
        with store.deferred_indexes() as dropped:
            assert set(dropped) == READ_INDEXES
            assert event_indexes(path) == before - READ_INDEXES
            store.append_events(events(10, 20))
            store.append_events(events(30, 20))
        assert event_indexes(path) == before
        assert store.count_events() == 50
        found = list(store.query_events(EventQuery(since=20, until=40, category="tool_call")))
        assert [e.fields["n"] for e in found] == list(range(21, 40, 3))
        assert store.count_events(EventQuery(links={"server": "fs"})) == 17


def test_batches_stay_whole_and_ids_unique_while_deferred(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "g.db") as store:
        store.append_events([Event(1.0, PROC, {}, id="a")])
        with store.deferred_indexes():
            with pytest.raises(StoreError, match=r"batch of 2 events from id 'b'.*nothing stored"):
                store.append_events([Event(2.0, PROC, {}, id="b"), Event(3.0, PROC, {}, id="a")])
            assert store.count_events() == 1


def test_an_error_in_the_import_still_builds_the_indexes(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    with SqliteStore(path) as store:
        before = event_indexes(path)
        with pytest.raises(RuntimeError), store.deferred_indexes():
            raise RuntimeError("import stopped")
        assert event_indexes(path) == before


def test_a_second_import_leaves_the_deferral_to_the_first(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    with SqliteStore(path) as first, SqliteStore(path) as second:
        with first.deferred_indexes() as dropped:
            with second.deferred_indexes() as again:
                assert again == []
            assert READ_INDEXES.isdisjoint(event_indexes(path))
        assert READ_INDEXES <= event_indexes(path)
        assert dropped


def _defer_as(path: Path, pid: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        defer(conn, load_event_queries(), pid=pid, where=str(path))
        conn.execute("COMMIT")
    finally:
        conn.close()


@pytest.mark.skipif(sys.platform == "win32", reason="the importer's liveness is asked only on POSIX")
def test_opening_after_a_dead_import_restores_the_indexes(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    SqliteStore(path).close()
    before = event_indexes(path)
    _defer_as(path, dead_pid())
    assert READ_INDEXES.isdisjoint(event_indexes(path))
    with SqliteStore(path) as store:
        assert event_indexes(path) == before
        assert store.count_events() == 0


@pytest.mark.skipif(sys.platform == "win32", reason="the importer's liveness is asked only on POSIX")
def test_opening_during_a_live_import_leaves_its_indexes_deferred(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    SqliteStore(path).close()
    _defer_as(path, 1)  # init is always alive
    assert importer_alive(1)
    SqliteStore(path).close()
    assert READ_INDEXES.isdisjoint(event_indexes(path))


def test_liveness_refuses_nonsense_pids() -> None:
    assert not importer_alive(None)
    assert not importer_alive(0)
    assert not importer_alive("123")
