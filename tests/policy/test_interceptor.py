"""The policy interceptor in an in-memory interceptor chain (no processes)."""

from __future__ import annotations

from typing import Any

from garrison.gateway.interceptors import InterceptorChain, SessionState
from garrison.gateway.messages import REQUEST_DENIED, Message
from garrison.policy import policy_from_text
from garrison.policy.interceptor import PolicyInterceptor

POLICY = """
version: 1
rules:
  - name: no-delete
    tool: "delete_*"
    action: deny
identities:
  - name: bots
    match: "client:bot*"
    default: deny
    rules:
      - name: bot-reads
        tool: "read_*"
        action: allow
"""

TOOLS = [
    {"name": "read_file", "description": "Read the contents of a file.",
     "inputSchema": {"type": "object", "properties": {"path": {"type": "string"}}}},
    {"name": "send_email", "description": "Send an email to a recipient.",
     "inputSchema": {"type": "object", "properties": {"recipient": {}, "body": {}}}},
    {"name": "delete_file", "description": "Delete a file.", "inputSchema": {"type": "object"}},
]


def _chain(client: str = "editor") -> tuple[InterceptorChain, SessionState]:
    policy = policy_from_text(POLICY, path="garrison.yaml", home="/home/me", cwd="/home/me")
    session = SessionState(server="files", client_info={"name": client})
    return InterceptorChain([PolicyInterceptor(policy)]), session


def _list(chain: InterceptorChain, session: SessionState) -> list[str]:
    request = Message({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    response = Message({"jsonrpc": "2.0", "id": 1, "result": {"tools": TOOLS}})
    verdict = chain.server_response(request, response, session)
    assert verdict.forward is not None
    return [t["name"] for t in verdict.forward.body["result"]["tools"]]


def _call(chain: InterceptorChain, session: SessionState, tool: str, args: dict[str, Any], at: float = 0.0,
          request_id: int = 2) -> dict[str, Any] | None:
    msg = Message({"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                   "params": {"name": tool, "arguments": args}}, at=at)
    verdict = chain.client_request(msg, session)
    return None if verdict.reply is None else dict(verdict.reply)


def test_denied_tools_are_hidden_and_refused() -> None:
    chain, session = _chain()
    assert _list(chain, session) == ["read_file", "send_email"]
    reply = _call(chain, session, "delete_file", {})
    assert reply is not None
    assert reply["error"]["code"] == REQUEST_DENIED
    assert reply["error"]["data"]["rule"] == "rules.no-delete"
    assert "garrison.yaml:4" in reply["error"]["message"]


def test_toxic_flow_is_refused_with_approval_message() -> None:
    chain, session = _chain()
    _list(chain, session)
    assert _call(chain, session, "send_email", {"recipient": "a@b.c"}) is None
    assert _call(chain, session, "read_file", {"path": "notes.md"}, request_id=3) is None
    reply = _call(chain, session, "send_email", {"recipient": "a@b.c"}, request_id=4)
    assert reply is not None
    assert reply["id"] == 4
    assert reply["error"]["data"]["action"] == "ask"
    assert reply["error"]["message"].startswith("approval required")
    assert "files/read_file" in reply["error"]["message"]


def test_identity_comes_from_client_info() -> None:
    chain, session = _chain("bot-7")
    assert _list(chain, session) == ["read_file"]
    assert _call(chain, session, "read_file", {"path": "x"}) is None
    reply = _call(chain, session, "send_email", {})
    assert reply is not None
    assert reply["error"]["data"]["rule"] == "identities.bots.default"


def test_other_requests_pass_untouched() -> None:
    chain, session = _chain()
    msg = Message({"jsonrpc": "2.0", "id": 9, "method": "resources/list"})
    verdict = chain.client_request(msg, session)
    assert verdict.forward is msg
    assert verdict.decisions == ()
