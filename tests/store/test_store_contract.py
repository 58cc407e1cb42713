"""The Store contract, run over every backend."""

from __future__ import annotations

from garrison.model import Evidence, Finding, Severity
from garrison.model.scan import ScanResult, ServerResult
from garrison.store import PinRecord, RunRecord, ServerRecord, Store


def finding(rule: str, severity: Severity = Severity.HIGH, *, evidence: Evidence | None = None) -> Finding:
    return Finding(rule=rule, title=f"title {rule}", severity=severity, server="fs", target="tool:read_file",
                   location="description", message="bad \u200b thing", evidence=evidence,
                   remediation="fix it", techniques=("T1195",), related=("web/tool:read_file",))


def result(started: float, *, incomplete: bool = False, findings: tuple[Finding, ...] = ()) -> ScanResult:
    servers = (
        ServerResult("fs", "ok", elapsed=0.25),
        ServerResult("web", "timeout" if incomplete else "skipped",
                     error="no answer in 10s" if incomplete else None),
    )
    return ScanResult(servers=servers, findings=findings, started=started, finished=started + 1.5)


def test_record_and_read_back_a_run(store: Store) -> None:
    found = (
        finding("G101", evidence=Evidence("ignore previous", 3, 18, decoded="x")),
        finding("G801", Severity.LOW),
    )
    run = store.record_scan(result(1000.0, findings=found), source="config")
    assert run == RunRecord(run.id, 1000.0, 1001.5, "complete", "config")
    assert store.get_run(run.id) == run
    assert store.run_findings(run.id) == list(found)
    assert store.run_servers(run.id) == [ServerRecord("fs", "ok", None, 0.25), ServerRecord("web", "skipped")]


def test_incomplete_runs_are_recorded_as_such(store: Store) -> None:
    run = store.record_scan(result(5.0, incomplete=True), source="snapshot.json")
    assert run.status == "incomplete"
    assert store.run_servers(run.id)[1] == ServerRecord("web", "timeout", "no answer in 10s")


def test_runs_are_listed_newest_first_with_a_limit(store: Store) -> None:
    first = store.record_scan(result(10.0), source="a")
    second = store.record_scan(result(30.0), source="b")
    third = store.record_scan(result(20.0), source="c")
    same_time = store.record_scan(result(30.0), source="d")
    assert [r.id for r in store.list_runs()] == [same_time.id, second.id, third.id, first.id]
    assert [r.id for r in store.list_runs(limit=2)] == [same_time.id, second.id]
    assert len({first.id, second.id, third.id, same_time.id}) == 4


def test_unknown_run(store: Store) -> None:
    assert store.get_run("nope") is None
    assert store.run_findings("nope") == []
    assert store.run_servers("nope") == []


def test_pin_history_newest_first_and_per_server(store: Store) -> None:
    a = PinRecord(1.0, "fs", "tool:read_file", "pinned", None, "sha256:" + "a" * 64)
    b = PinRecord(2.0, "fs", "tool:read_file", "drift", "sha256:" + "a" * 64, "sha256:" + "b" * 64)
    c = PinRecord(2.0, "web", "launch", "approved", None, "sha256:" + "c" * 64)
    store.record_pins([a, b])
    store.record_pins([c])
    assert store.pin_history() == [c, b, a]
    assert store.pin_history(server="fs") == [b, a]
    assert store.pin_history(limit=1) == [c]
    assert store.pin_history(server="nobody") == []
    store.record_pins([])
    assert len(store.pin_history()) == 3
