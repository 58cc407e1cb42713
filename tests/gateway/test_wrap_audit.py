"""The audit trail of ``garrison wrap``: every call hash-chained in the store, verified, tampering caught;
a failing store is retried and reported, never silently dropped, and refuses calls when required."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from wrap_harness import SDK_SERVER, RawWrap, wrap_command

from garrison.errors import StoreError
from garrison.gateway.audit_sink import AuditGate, AuditWriter
from garrison.gateway.interceptors import SessionState
from garrison.gateway.messages import Message
from garrison.model import Event, LogSource
from garrison.store import MemoryStore, open_store
from garrison.store.events import EventQuery


def garrison(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "garrison", *args], capture_output=True, text=True, timeout=60,
                          check=False)


def wrapped(tmp: Path, *options: str) -> StdioServerParameters:
    command = wrap_command([sys.executable, SDK_SERVER], "--name", "fx", "--lockfile", str(tmp / "garrison.lock"),
                           *options, bare=False)
    return StdioServerParameters(command=command[0], args=command[1:])


async def calls(params: StdioServerParameters) -> list[Any]:
    out: list[Any] = []
    async with Client(params, mode="legacy") as client:
        await client.list_tools()
        for name, arguments in (("echo", {"text": "top secret value"}), ("add", {"a": 1, "b": 2}),
                                ("crash", {"code": 1})):
            try:
                out.append(await client.call_tool(name, arguments))
            except MCPError as err:
                out.append(err)
    return out


@pytest.mark.integration
def test_calls_are_chained_in_the_store_and_verify_catches_tampering(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    anyio.run(calls, wrapped(tmp_path, "--db", str(db), "--deny-tools", "crash"))

    store = open_store(str(db))
    try:
        events = [e for e in store.query_events(EventQuery()) if e.logsource.category == "tool_call"]
        chained = list(store.audit_records())
    finally:
        store.close()
    by_tool = {e.fields["tool"]: e for e in events}
    assert set(by_tool) == {"echo", "add", "crash"}
    echo = by_tool["echo"].fields
    assert echo["client"] == "mcp"
    assert echo["server"] == "fx"
    assert echo["arguments_shape"] == {"text": "str"}
    assert echo["decision"] == "pass"
    assert echo["latency_ms"] >= 0
    assert echo["result_bytes"] > 0
    assert by_tool["crash"].fields["decision"] == "reply:deny-list"
    assert "top secret value" not in repr([e.fields for e in events])
    assert len(chained) >= len(events)  # initialize and lists are chained too

    verified = garrison("audit", "verify", "--db", str(db))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith(f"ok: {len(chained)} records verified")

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE events SET fields = json_set(fields, '$.decision', 'pass') "
                 "WHERE json_extract(fields, '$.tool') = 'crash'")
    conn.close()
    tampered = garrison("audit", "verify", "--db", str(db))
    assert tampered.returncode == 1
    assert tampered.stdout.startswith("TAMPERED at record")


@pytest.mark.integration
def test_a_required_trail_that_cannot_be_opened_stops_the_wrapper(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    done = subprocess.run(wrap_command([sys.executable, SDK_SERVER], "--db", str(blocker / "store.db"),
                                       "--audit-required", bare=False),
                          input="", capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert str(blocker / "store.db") in done.stderr


@pytest.mark.integration
def test_an_optional_trail_that_fails_is_reported_and_calls_go_on(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    wrap = RawWrap([sys.executable, SDK_SERVER], "--name", "fx", "--lockfile", str(tmp_path / "garrison.lock"),
                   "--db", str(blocker / "store.db"), bare=False)
    try:
        wrap.initialize()
        wrap.request(1, "tools/list")
        wrap.read_id(1)
        wrap.request(2, "tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
        answer = wrap.read_id(2)
    finally:
        code, err = wrap.finish()
    assert answer["result"]["content"][0]["text"] == "3"
    assert code == 0
    assert f"cannot write the audit trail to {blocker / 'store.db'}" in err
    assert "audit event(s) were not written" in err


class FlakyStore:
    """Fails until ``healthy`` is set; then keeps what it is given."""

    def __init__(self) -> None:
        self.healthy = threading.Event()
        self.kept = MemoryStore()

    def append_audit(self, events: Sequence[Event]) -> list[str]:
        if not self.healthy.is_set():
            raise StoreError("disk full", where="flaky.db")
        return self.kept.append_audit(events)

    def close(self) -> None:
        return None


def event(n: int) -> Event:
    return Event(float(n), LogSource("mcp", "tool_call"), {"server": "fx", "tool": "t", "decision": "pass"},
                 "garrison.wrap")


def test_a_failing_store_keeps_events_refuses_required_calls_and_recovers() -> None:
    store = FlakyStore()
    notices: list[str] = []
    writer = AuditWriter(lambda: store, where="flaky.db", notice=notices.append, retry=0.01, max_retry=0.02)
    gate = AuditGate(writer)
    call = Message({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "t"}})
    try:
        for n in range(3):
            writer(event(n))
        assert writer.flush(10) is False
        assert writer.error is not None
        assert "disk full" in writer.error
        refused = gate.on_client_request(call, SessionState(server="fx"))
        assert refused.action == "reply"
        assert "audit trail is required" in str(refused.body)
        assert any("cannot write the audit trail to flaky.db" in n and "3 event(s) kept" in n for n in notices)

        store.healthy.set()
        writer(event(3))
        assert writer.flush(10) is True
        assert gate.on_client_request(call, SessionState(server="fx")).action == "pass"
        assert [e.time for e in store.kept.query_events(EventQuery())] == [0.0, 1.0, 2.0, 3.0]
        assert any("writing again" in n for n in notices)
    finally:
        writer.close()


def test_a_full_buffer_drops_the_oldest_and_says_so() -> None:
    store = FlakyStore()
    notices: list[str] = []
    writer = AuditWriter(lambda: store, where="flaky.db", notice=notices.append, max_buffer=2, retry=0.01,
                         max_retry=0.02, close_timeout=1.0)
    for n in range(5):
        writer(event(n))
    writer.close()
    assert writer.dropped == 3
    assert any("3 oldest event(s) dropped" in n or "1 oldest event(s) dropped" in n for n in notices)
    assert any("were not written to flaky.db" in n for n in notices)
