"""The managed block list: writing, strict reading, and what the wrapper's interceptors do with it."""

from __future__ import annotations

import pytest

from garrison.errors import PolicyError
from garrison.gateway.interceptors import SessionState
from garrison.gateway.messages import REQUEST_DENIED, Message
from garrison.respond.blocklist import (
    Blocklist,
    BlocklistGate,
    BlocklistView,
    load_blocklist,
    load_blocklist_or_deny,
    parse_blocklist,
    save_blocklist,
)


def _call(tool: str, method: str = "tools/call") -> Message:
    return Message({"jsonrpc": "2.0", "id": 1, "method": method, "params": {"name": tool, "arguments": {}}})


def test_round_trip(tmp_path):
    path = tmp_path / "garrison.blocklist.yaml"
    assert load_blocklist(path) == Blocklist()
    blocklist, changed = Blocklist().with_tool("notes", "export_notes", "key theft", "2026-11-25T10:00:00Z")
    assert changed
    blocklist, changed = blocklist.with_server("mailer", "exfiltration", "2026-11-25T10:00:00Z")
    assert changed
    again, changed = blocklist.with_tool("notes", "export_notes", "other", "later")
    assert not changed
    assert again is blocklist
    save_blocklist(blocklist, path)
    assert path.read_text().startswith("# Managed by `garrison respond`")
    assert load_blocklist(path) == blocklist
    assert blocklist.blocked_tools("notes") == {"export_notes": "key theft"}
    assert blocklist.quarantined("mailer").reason == "exfiltration"


@pytest.mark.parametrize(("text", "where", "message"), [
    ("version: 1\nblocked_tools:\n  - server: a\n    tol: x\n", "b.yaml:4", "unknown key 'tol'"),
    ("version: 1\nblocked_tools:\n  - server: a\n", "b.yaml:3", "'tool' is required"),
    ("version: 2\n", "b.yaml:1", "'version' must be 1"),
    ("version: 1\nquarantined_servers: notes\n", "b.yaml:2", "must be a list"),
    ("version: 1\nextra: 1\n", "b.yaml:2", "unknown key 'extra'"),
])
def test_strict_reading_names_the_line(text, where, message):
    with pytest.raises(PolicyError) as caught:
        parse_blocklist(text, path="b.yaml")
    assert caught.value.where == where
    assert message in caught.value.message


def _gate(blocklist: Blocklist) -> BlocklistGate:
    return BlocklistGate(lambda: blocklist)


def test_quarantine_refuses_calls_but_not_the_handshake():
    gate = _gate(Blocklist().with_server("notes", "under review", "t")[0])
    session = SessionState(server="notes")
    refused = gate.on_client_request(_call("anything"), session)
    assert refused.action == "reply"
    assert refused.body["error"]["code"] == REQUEST_DENIED
    assert "quarantined by Garrison: under review" in refused.body["error"]["message"]
    init = Message({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}})
    assert gate.on_client_request(init, session).action == "pass"
    assert gate.on_client_request(_call("x", "resources/read"), session).action == "reply"
    assert gate.on_client_request(_call("x"), SessionState(server="other")).action == "pass"


def test_blocked_tool_is_refused_and_hidden_only_on_its_server():
    gate = _gate(Blocklist().with_tool("notes", "export_notes", "key theft", "t")[0])
    session = SessionState(server="notes")
    assert gate.on_client_request(_call("export_notes"), session).action == "reply"
    assert gate.on_client_request(_call("list_notes"), session).action == "pass"
    assert gate.on_client_request(_call("export_notes"), SessionState(server="other")).action == "pass"
    listing = Message({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
    reply = Message({"jsonrpc": "2.0", "id": 2, "result": {"tools": [{"name": "export_notes"},
                                                                      {"name": "list_notes"}]}})
    rewritten = gate.on_server_response(listing, reply, session)
    assert rewritten.action == "rewrite"
    assert rewritten.body["result"]["tools"] == [{"name": "list_notes"}]


def test_view_follows_the_file_and_fails_closed(tmp_path):
    path = tmp_path / "garrison.blocklist.yaml"
    view = BlocklistView(path)
    gate = BlocklistGate(view.current)
    session = SessionState(server="notes")
    assert gate.on_client_request(_call("export_notes"), session).action == "pass"
    save_blocklist(Blocklist().with_tool("notes", "export_notes", "key theft", "t")[0], path)
    assert gate.on_client_request(_call("export_notes"), session).action == "reply"
    path.write_text("version: 1\nblocked_tools: [\n")
    assert view.current().deny_all is not None
    assert gate.on_client_request(_call("list_notes"), session).action == "reply"
    assert load_blocklist_or_deny(path).deny_all is not None
