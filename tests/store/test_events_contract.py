"""The event half of the Store contract, run over every backend (see conftest.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from garrison.audit import GENESIS, ChainBase, verify_chain
from garrison.errors import StoreError
from garrison.model import Event, LogSource
from garrison.store import Store
from garrison.store.events import MAX_EVENT_BYTES, EventQuery, Match, Not, Or, Text

PROC = LogSource("windows", "process_creation")
NET = LogSource("windows", "network_connection")
CALL = LogSource("mcp", "tool_call")


def proc(time: float, image: str, command: str, **extra: Any) -> Event:
    return Event(time, PROC, {"Image": image, "CommandLine": command, **extra}, "sysmon",
                 links={"process_guid": f"g{time:g}"})


def call(time: float, server: str, tool: str, call_id: str, **extra: Any) -> Event:
    return Event(time, CALL, {"server": server, "tool": tool, "decision": "pass", **extra}, "garrison.wrap",
                 links={"server": server, "call_id": call_id})


def sample() -> list[Event]:
    return [
        proc(10.0, "C:\\Windows\\System32\\reg.exe", "reg.exe save hklm\\sam C:\\t\\sam.hiv", User="CORP\\ann"),
        Event(20.0, NET, {"DestinationIp": "169.254.169.254", "DestinationPort": 80, "Initiated": True}, "sysmon"),
        call(30.0, "fs", "read_file", "7", arguments_shape={"path": "str"}),
        proc(40.0, "/usr/bin/curl", "curl http://169.254.169.254/latest/meta-data/"),
        call(50.0, "web", "fetch", "8", latency_ms=12.5),
    ]


def ids(events: Any) -> list[str | None]:
    return [e.id for e in events]


def test_append_assigns_ids_and_reads_back_what_was_stored(store: Store) -> None:
    events = sample()
    assigned = store.append_events(events)
    assert len(assigned) == len(set(assigned)) == 5
    back = list(store.query_events(EventQuery()))
    assert ids(back) == assigned
    for original, stored, event_id in zip(events, back, assigned, strict=True):
        assert stored == Event(original.time, original.logsource, dict(original.fields), original.source,
                               event_id, dict(original.links))
    assert store.count_events() == 5
    assert store.append_events([]) == []


def test_producer_ids_are_kept_and_duplicates_refuse_the_whole_batch(store: Store) -> None:
    assert store.append_events([Event(1.0, PROC, {"a": 1}, id="file.jsonl:1")]) == ["file.jsonl:1"]
    batch = [Event(2.0, PROC, {"a": 2}), Event(3.0, PROC, {"a": 3}, id="file.jsonl:1")]
    with pytest.raises(StoreError, match=r"batch of 2 events .*refused, nothing stored") as err:
        store.append_events(batch)
    assert "file.jsonl:1" in str(err.value)
    with pytest.raises(StoreError, match="batch of 2 events"):
        store.append_events([Event(4.0, PROC, {}, id="x"), Event(5.0, PROC, {}, id="x")])
    assert store.count_events() == 1


@pytest.mark.parametrize("bad", [
    Event(1.0, PROC, {"when": object()}),
    Event(1.0, PROC, {"blob": "x" * MAX_EVENT_BYTES}),
    Event(1.0, PROC, {}, links={"call_id": 7}),  # type: ignore[dict-item]
    Event(1.0, PROC, {}, source=None),  # type: ignore[arg-type]
    Event(math.nan, PROC, {}),
    Event(math.inf, PROC, {}),
])
def test_a_bad_event_refuses_its_batch_by_name(store: Store, bad: Event) -> None:
    with pytest.raises(StoreError, match=r"batch of 3 events.*event 1"):
        store.append_events([Event(0.5, PROC, {}), bad, Event(2.0, PROC, {})])
    assert store.count_events() == 0


def test_time_range_order_and_limit(store: Store) -> None:
    store.append_events(sample())
    times = [e.time for e in store.query_events(EventQuery(since=20.0, until=50.0))]
    assert times == [20.0, 30.0, 40.0]
    assert [e.time for e in store.query_events(EventQuery(order="desc", limit=2))] == [50.0, 40.0]
    assert list(store.query_events(EventQuery(limit=0))) == []
    assert store.count_events(EventQuery(since=35.0, limit=1)) == 2


def test_same_time_events_keep_arrival_order(store: Store) -> None:
    first = store.append_events([Event(5.0, PROC, {"n": i}) for i in range(3)])
    second = store.append_events([Event(5.0, PROC, {"n": 3})])
    assert ids(store.query_events(EventQuery())) == first + second
    assert ids(store.query_events(EventQuery(order="desc"))) == list(reversed(first + second))


def test_logsource_source_field_and_link_filters(store: Store) -> None:
    store.append_events(sample())
    assert [e.time for e in store.query_events(EventQuery(product="windows", category="process_creation"))] == [
        10.0, 40.0]
    assert [e.time for e in store.query_events(EventQuery(source="garrison.wrap"))] == [30.0, 50.0]
    assert [e.time for e in store.query_events(EventQuery(fields={"DestinationPort": 80}))] == [20.0]
    assert [e.time for e in store.query_events(EventQuery(fields={"Initiated": True}))] == [20.0]
    assert [e.time for e in store.query_events(EventQuery(links={"call_id": "8"}))] == [50.0]
    assert [e.time for e in store.query_events(EventQuery(links={"server": "fs"}))] == [30.0]
    assert store.count_events(EventQuery(product="linux")) == 0


def test_text_search_and_expressions(store: Store) -> None:
    store.append_events(sample())
    assert [e.time for e in store.query_events(EventQuery(text="169.254.169.254"))] == [20.0, 40.0]
    assert [e.time for e in store.query_events(EventQuery(text="HKLM\\SAM"))] == [10.0]
    where = Or((Match("Image", "like", "*\\reg.exe"), Match("tool", "equals", "fetch")))
    assert [e.time for e in store.query_events(EventQuery(where=where))] == [10.0, 50.0]
    assert [e.time for e in store.query_events(EventQuery(where=Not(Match("product", "equals", "windows"))))] == [
        30.0, 50.0]
    assert [e.time for e in store.query_events(EventQuery(where=Text("12.5")))] == [50.0]
    assert store.count_events(EventQuery(where=Match("CommandLine", "contains", "META-DATA"))) == 1


def test_prune_by_age_and_by_rows(store: Store) -> None:
    store.append_events(sample())
    assert store.prune_events(25.0) == 2
    assert [e.time for e in store.query_events(EventQuery())] == [30.0, 40.0, 50.0]
    assert store.prune_events(max_rows=1) == 2
    assert [e.time for e in store.query_events(EventQuery())] == [50.0]
    assert store.prune_events(0.0, max_rows=10) == 0
    assert store.prune_events() == 0


def test_audit_chain_appends_and_verifies(store: Store) -> None:
    assert verify_chain(store).ok
    store.append_events([proc(1.0, "a", "b")])
    first = store.append_audit([call(2.0, "fs", "read_file", "1"), call(3.0, "fs", "write_file", "2")])
    store.append_events([proc(4.0, "c", "d")])
    second = store.append_audit([call(5.0, "web", "fetch", "3")])
    records = list(store.audit_records())
    assert [(r.pos, r.id) for r in records] == [(1, first[0]), (2, first[1]), (3, second[0])]
    assert records[0].prev == GENESIS
    assert [r.prev for r in records[1:]] == [r.hash for r in records[:-1]]
    result = verify_chain(store)
    assert (result.ok, result.checked, result.head) == (True, 3, records[-1].hash)
    assert verify_chain(store, anchors=[records[0].hash]).ok
    assert not verify_chain(store, anchors=["sha256:" + "1" * 64]).ok
    assert store.count_events(EventQuery(source="garrison.wrap")) == 3


def test_chain_hashes_do_not_depend_on_the_backend(store: Store) -> None:
    store.append_audit([Event(1.0, CALL, {"tool": "t", "n": [1, 2.5, None, {"k": "é"}]}, "garrison.wrap", id="c1"),
                        Event(2, CALL, {}, "garrison.wrap", id="c2", links={"server": "fs"})])
    assert [r.hash for r in store.audit_records()] == [
        "sha256:d09f67db5831908865bdd51d56b4c915547f6e3e29cf5c35c9534964ccbeec27",
        "sha256:297b3fbfe94e6a806fddcfc49d967fec7d9f31c53f4c9a36db0511801d00eb38"]


def test_pruning_moves_the_chain_base_and_keeps_it_verifiable(store: Store) -> None:
    store.append_audit([call(t, "fs", "read_file", str(t)) for t in (1.0, 2.0, 3.0)])
    store.append_events([proc(0.5, "a", "b")])
    store.append_audit([call(0.0, "fs", "late_clock", "4"), call(9.0, "fs", "read_file", "5")])
    hashes = [r.hash for r in store.audit_records()]
    # Everything before time 2.5 is due, but chain record 4 (time 0.0) sits behind record 3 (time 3.0):
    # only records 1 and 2 may go, and record 4 stays until record 3 goes.
    assert store.prune_events(2.5) == 3
    assert store.audit_base() == ChainBase(2, hashes[1], 2)
    assert [r.pos for r in store.audit_records()] == [3, 4, 5]
    result = verify_chain(store)
    assert result.ok
    assert result.checked == 3
    assert verify_chain(store, anchors=[hashes[1]]).ok
    assert store.prune_events(100.0) == 3
    assert store.audit_base() == ChainBase(5, hashes[4], 5)
    more = store.append_audit([call(200.0, "fs", "read_file", "6")])
    (record,) = store.audit_records()
    assert (record.pos, record.prev, record.id) == (6, hashes[4], more[0])
    assert verify_chain(store).ok


def test_field_equality_needs_a_scalar(store: Store) -> None:
    for value in (None, [1], {"a": 1}):
        with pytest.raises(ValueError, match="needs a string, number or boolean"):
            list(store.query_events(EventQuery(fields={"x": value})))
