"""The audit chain as values: the documented hash, and verification of hand-made record lists."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import orjson

from garrison.audit import GENESIS, AuditRecord, ChainBase, chain_hash, verify_records
from garrison.audit.sink import AuditSink
from garrison.model import Event, LogSource
from garrison.store import MemoryStore

CALL = LogSource("mcp", "tool_call")


def event(n: int) -> Event:
    return Event(float(n), CALL, {"tool": f"t{n}", "args": {"path": "str"}}, "garrison.wrap", id=f"e{n}",
                 links={"server": "fs"})


NO_BASE = ChainBase()


def chain(count: int, base: ChainBase = NO_BASE) -> list[AuditRecord]:
    out, prev = [], base.hash
    for pos in range(base.pos + 1, base.pos + count + 1):
        digest = chain_hash(prev, event(pos))
        out.append(AuditRecord(pos, prev, digest, f"e{pos}", event(pos)))
        prev = digest
    return out


def test_hash_is_sha256_of_prev_and_the_canonical_record() -> None:
    body = {"fields": {"args": {"path": "str"}, "tool": "t1"}, "format": 1, "id": "e1",
            "links": {"server": "fs"}, "logsource": {"category": "tool_call", "product": "mcp", "service": None},
            "source": "garrison.wrap", "time": 1.0}
    payload = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    assert chain_hash(GENESIS, event(1)) == "sha256:" + hashlib.sha256(GENESIS.encode() + payload).hexdigest()
    assert chain_hash(GENESIS, event(1)) != chain_hash("sha256:" + "1" * 64, event(1))


def test_an_intact_chain_verifies_and_reports_its_head() -> None:
    records = chain(4)
    result = verify_records(records)
    assert (result.ok, result.checked, result.head) == (True, 4, records[-1].hash)
    assert verify_records([]).ok
    assert verify_records([], anchors=[GENESIS]).ok


def test_every_kind_of_change_is_named_at_its_first_record() -> None:
    records = chain(5)
    edited = [*records[:2], replace(records[2], event=replace(event(3), fields={"tool": "rm"})), *records[3:]]
    result = verify_records(edited)
    assert (result.ok, result.first_bad_pos, result.first_bad_id, result.checked) == (False, 3, "e3", 2)
    assert "changed" in (result.reason or "")
    assert result.head == records[1].hash
    dropped = verify_records([*records[:1], *records[2:]])
    assert (dropped.first_bad_pos, dropped.first_bad_id) == (2, "e3")
    assert "missing" in (dropped.reason or "")
    swapped = [records[0], replace(records[2], pos=2), replace(records[1], pos=3), *records[3:]]
    assert verify_records(swapped).first_bad_pos == 2
    relinked = [records[0], replace(records[1], prev=GENESIS), *records[2:]]
    assert "does not follow" in (verify_records(relinked).reason or "")
    unreadable = [records[0], replace(records[1], event=None, problem="bad JSON")]
    assert "unreadable: bad JSON" in (verify_records(unreadable).reason or "")


def test_a_chain_can_start_from_a_pruned_base_and_must_meet_its_anchors() -> None:
    full = chain(6)
    base = ChainBase(3, full[2].hash, 3)
    assert verify_records(full[3:], base).ok
    assert not verify_records(full[3:]).ok
    assert verify_records(full[3:], base, anchors=[full[2].hash, full[4].hash]).ok
    missing = verify_records(full[3:5], base, anchors=[full[5].hash])
    assert not missing.ok
    assert "anchor" in (missing.reason or "")
    assert missing.first_bad_pos is None


def test_the_sink_chains_each_event_as_it_comes() -> None:
    store = MemoryStore()
    sink = AuditSink(store)
    for n in (1, 2):
        sink(replace(event(n), id=None))
    assert sink.written == 2
    assert [r.pos for r in store.audit_records()] == [1, 2]
    assert verify_records(store.audit_records()).ok
