"""SQLite specifics of events: named queries, SQL translation never losing a match, injection, tampering."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from garrison.audit import verify_chain
from garrison.errors import StoreError
from garrison.hunt import parse_query
from garrison.model import Event, LogSource
from garrison.store import MemoryStore
from garrison.store.events import EventQuery, compile_filter
from garrison.store.events_sql import load_event_queries, translate
from garrison.store.migrate import migrate
from garrison.store.sqlite import SqliteStore

LS = LogSource("windows", "process_creation")
TRICKY = [
    {"Image": "C:\\Windows\\System32\\reg.exe", "CommandLine": "reg SAVE HKLM\\sam out%_.hiv"},
    {"Image": "C:\\WINDOWS\\system32\\REG.EXE", "CommandLine": "Ünïcode ÄRGS straße"},
    {"Image": "/bin/sh", "CommandLine": 'sh -c "echo \\"quoted\\""', "Port": 443, "Ok": True},
    {"Port": "443", "Ok": "true", "Ratio": 0.5, "Tags": ["alpha", "Beta"], "Nested": {"k": {"deep": "Needle"}}},
    {"Image": None, "CommandLine": "", "a.b": "flat", "a": {"b": "nested"}},
    {"Image": "x\u200by", "CommandLine": "tab\there\nnewline", "Control": "\x1b[31mred"},
    {},
]
QUERIES = [
    "Image:*\\reg.exe", "Image:*\\\\REG.EXE", "Image:c:\\windows\\*", "Image=/bin/sh", "Image=/BIN/SH",
    'CommandLine~"save hklm"', "CommandLine~%_", "CommandLine~ärgs", "CommandLine:*STRASSE*", 'CommandLine~"\\"quoted"',
    "Port=443", "Port:44?", "Ok=true", "Ok:TRUE", "Ratio=0.5", "Tags:beta", "Tags=Beta", "Nested:needle",
    "a.b=flat", "a.b=nested", "Image:*", "NOT Image:*", "Image:x*", '"needle"', "443", "hklm\\sam", '"\\"quoted"',
    "straße", "STRASSE", "tab", "NOT (Port=443 OR Ok=true)", "product:WINDOWS category:process_*",
    "source:sysmon AND NOT id:*-3", "links.process_guid:g* NOT links.process_guid=g2", 'CommandLine=""',
    "Missing:*", "NOT Missing:*", "(Image:*reg* OR Port=443) AND NOT Tags:alpha", "Control~\\x1b", "a?b=flat",
    "Port>400", "Port>=443", "Port<443", "Ratio<=0.5", "Ratio>0.25", "NOT Port>100", "Ok>0", "Tags>1",
    "product>1", "links.process_guid<5",
]


@pytest.fixture
def both(tmp_path: Path) -> tuple[SqliteStore, list[Event]]:
    sqlite = SqliteStore(tmp_path / "g.db")
    events = [Event(float(i), LS, fields, "sysmon", links={"process_guid": f"g{i}"}) for i, fields in
              enumerate(TRICKY)]
    sqlite.append_events(events)
    stored = list(sqlite.query_events(EventQuery()))
    yield sqlite, stored
    sqlite.close()


@pytest.mark.parametrize("text", QUERIES)
def test_sql_answers_exactly_as_the_python_filter(both: tuple[SqliteStore, list[Event]], text: str) -> None:
    store, stored = both
    expr = parse_query(text)
    expected = [e.id for e in stored if compile_filter(expr)(e)]
    assert [e.id for e in store.query_events(EventQuery(where=expr))] == expected
    assert store.count_events(EventQuery(where=expr)) == len(expected)
    assert [e.id for e in store.query_events(EventQuery(where=expr, limit=1, order="desc"))] == expected[::-1][:1]
    memory = MemoryStore()
    memory.append_events(stored)
    assert [e.id for e in memory.query_events(EventQuery(where=expr))] == expected


def test_exact_translations_push_the_limit_into_sql() -> None:
    plan = translate(EventQuery(product="windows", where=parse_query("category:process_* NOT source=x"), limit=5))
    assert plan.exact
    assert plan.sql.endswith("LIMIT ?")
    assert plan.params[-1] == 5
    fuzzy = translate(EventQuery(where=parse_query("Image:*reg.exe"), limit=5))
    assert not fuzzy.exact
    assert "LIMIT" not in fuzzy.sql


def test_values_and_field_names_never_reach_the_sql_text(both: tuple[SqliteStore, list[Event]]) -> None:
    store, _ = both
    hostile = "x') OR 1=1; DROP TABLE events; --"
    for text in (f'Image="{hostile}"', f'"{hostile}"', 'Image"x=1', f'product="{hostile}"'):
        expr = parse_query(text)
        plan = translate(EventQuery(where=expr))
        assert "DROP" not in plan.sql
        assert list(store.query_events(EventQuery(where=expr))) == []
    assert store.count_events() == len(TRICKY)


def test_event_queries_prepare_against_the_schema() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn, where="test")
    queries = load_event_queries()
    assert {"insert_event", "prune", "audit_records", "chain_head"} <= set(queries)
    params = dict.fromkeys(("cutoff", "excess", "keep_until", "pos", "hash", "pruned"), 0)
    for name, sql in queries.items():
        try:
            conn.execute(f"EXPLAIN {sql}", (None,) * sql.count("?") if "?" in sql else params)
        except sqlite3.Error as err:
            pytest.fail(f"query {name}: {err}")


def test_each_store_file_gets_its_own_id_prefix(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "a.db") as a, SqliteStore(tmp_path / "b.db") as b:
        (first,) = a.append_events([Event(1.0, LS, {})])
        (second,) = b.append_events([Event(1.0, LS, {})])
        assert first != second
        assert first.endswith("-1")
        assert second.endswith("-1")
        b.append_events(list(a.query_events(EventQuery())))
        assert b.count_events() == 2


def test_events_survive_reopening_and_ids_are_not_reused_after_pruning(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    with SqliteStore(path) as store:
        before = store.append_events([Event(1.0, LS, {"n": 1}), Event(2.0, LS, {"n": 2})])
        store.prune_events(10.0)
    with SqliteStore(path) as store:
        after = store.append_events([Event(3.0, LS, {"n": 3})])
        assert set(after).isdisjoint(before)
        assert [e.fields for e in store.query_events(EventQuery())] == [{"n": 3}]


def test_two_writers_extend_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    call = LogSource("mcp", "tool_call")
    with SqliteStore(path) as a, SqliteStore(path) as b:
        for n, writer in enumerate((a, b, a, b, b), start=1):
            writer.append_audit([Event(float(n), call, {"n": n}, "garrison.wrap")])
        assert [r.pos for r in a.audit_records()] == [1, 2, 3, 4, 5]
        assert verify_chain(a).ok
        assert verify_chain(b).head == verify_chain(a).head


def test_a_locked_database_fails_the_batch_by_name(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    SqliteStore(path).close()
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("BEGIN IMMEDIATE")
    with SqliteStore(path, timeout=0) as store, pytest.raises(StoreError, match="database is locked"):
        store.append_events([Event(1.0, LS, {})])
    raw.execute("ROLLBACK")
    raw.close()
    with SqliteStore(path) as store:
        assert store.count_events() == 0


# ---- tampering with the rows directly -------------------------------------------------------------------

@pytest.fixture
def chained(tmp_path: Path) -> Path:
    path = tmp_path / "audit.db"
    calls = [Event(float(i), LogSource("mcp", "tool_call"), {"server": "fs", "tool": f"t{i}", "decision": "pass"},
                   "garrison.wrap", links={"server": "fs", "call_id": str(i)}) for i in range(1, 7)]
    with SqliteStore(path) as store:
        store.append_audit(calls[:3])
        store.append_events([Event(3.5, LS, {"Image": "noise"})])
        store.append_audit(calls[3:])
        assert verify_chain(store).ok
    return path


def tamper(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()


def verdict(path: Path) -> tuple[bool, int | None, str]:
    with SqliteStore(path) as store:
        result = verify_chain(store)
        record = next((r for r in store.audit_records() if r.pos == result.first_bad_pos), None)
    return result.ok, result.first_bad_pos, (result.reason or "") + (f" id={record.id}" if record else "")


@pytest.mark.parametrize(("statements", "bad_pos", "reason"), [
    (["UPDATE events SET fields = json_set(fields, '$.decision', 'deny') WHERE chain_pos = 3"], 3, "changed"),
    (["UPDATE events SET time = time + 1 WHERE chain_pos = 2"], 2, "changed"),
    (["UPDATE events SET id = 'forged' WHERE chain_pos = 5"], 5, "changed"),
    (["UPDATE events SET links = '{}' WHERE chain_pos = 1"], 1, "changed"),
    (["DELETE FROM events WHERE chain_pos = 4"], 4, "missing"),
    (["UPDATE events SET chain_pos = -chain_pos WHERE chain_pos IN (2, 3)",
      "UPDATE events SET chain_pos = 5 + chain_pos WHERE chain_pos IN (-2, -3)"], 2, "does not follow"),
    (["UPDATE events SET fields = 'not json' WHERE chain_pos = 6"], 6, "unreadable"),
    (["UPDATE events SET chain_pos = NULL WHERE chain_pos = 2"], 2, "missing"),
])
def test_tampered_rows_fail_verification_at_the_first_bad_record(chained: Path, statements: list[str],
                                                                 bad_pos: int, reason: str) -> None:
    tamper(chained, *statements)
    ok, pos, text = verdict(chained)
    assert not ok
    assert pos == bad_pos
    assert reason in text


def test_a_rehashed_edit_or_cut_tail_is_caught_by_an_anchor(chained: Path) -> None:
    with SqliteStore(chained) as store:
        head = verify_chain(store).head
    tamper(chained, "DELETE FROM events WHERE chain_pos >= 5")
    with SqliteStore(chained) as store:
        assert verify_chain(store).ok  # a cut tail alone is not visible from inside the store...
        result = verify_chain(store, anchors=[head])
        assert not result.ok
        assert "anchor" in (result.reason or "")


def test_pruning_refuses_to_move_the_base_over_a_hole(chained: Path) -> None:
    tamper(chained, "DELETE FROM events WHERE chain_pos = 2")
    with SqliteStore(chained) as store, pytest.raises(StoreError, match="audit chain record 2 is missing"):
        store.prune_events(2.5)
