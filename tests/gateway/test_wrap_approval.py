"""Asking a person: a call the policy says to ``ask`` about goes to the client as ``elicitation/create``.

Accept (with the box ticked) forwards the call; decline or no answer within ``--approval-timeout`` refuses it.
The reading of answers is pure and tested in memory as well.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.session import ClientRequestContext
from mcp.shared.exceptions import MCPError
from wrap_harness import SDK_SERVER, wrap_command

from garrison.gateway.approval import approval_outcome, can_elicit, elicitation_params
from garrison.gateway.interceptors import SessionState
from garrison.gateway.messages import Message

POLICY = """\
version: 1
rules:
  - name: confirm-sums
    tool: add
    action: ask
    reason: sums need a person
"""


def wrapped(tmp: Path, *options: str) -> StdioServerParameters:
    policy = tmp / "garrison.yaml"
    policy.write_text(POLICY)
    command = wrap_command([sys.executable, SDK_SERVER], "--name", "fx", "--lockfile", str(tmp / "garrison.lock"),
                           "--policy", str(policy), "--unpinned", "pin-on-first-use", "--unsafe-no-audit", *options,
                           bare=False)
    return StdioServerParameters(command=command[0], args=command[1:])


async def ask_session(params: StdioServerParameters, answer: types.ElicitResult | None) -> dict[str, Any]:
    asked: list[types.ElicitRequestParams] = []

    async def elicitation(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params)
        if answer is None:
            await anyio.Event().wait()  # nobody answers; the gateway gives up at its approval timeout
        assert answer is not None
        return answer

    async with Client(params, mode="legacy", elicitation_callback=elicitation) as client:
        try:
            result: Any = await client.call_tool("add", {"a": 2, "b": 40})
        except MCPError as err:
            result = err
        echo = await client.call_tool("echo", {"text": "still here"})
    return {"asked": asked, "result": result, "echo": echo}


@pytest.mark.integration
def test_accepted_call_is_forwarded(tmp_path: Path) -> None:
    seen = anyio.run(ask_session, wrapped(tmp_path), types.ElicitResult(action="accept", content={"approve": True}))
    assert len(seen["asked"]) == 1
    message = seen["asked"][0].message
    assert "'fx'" in message
    assert "'add'" in message
    assert "{'a': 'int', 'b': 'int'}" in message  # argument names and types, never values
    assert "sums need a person" in message
    result = seen["result"]
    assert not isinstance(result, MCPError)
    assert result.content[0].text == "42"
    assert not seen["echo"].is_error


@pytest.mark.integration
@pytest.mark.parametrize("answer", [types.ElicitResult(action="decline"),
                                    types.ElicitResult(action="accept", content={"approve": False})])
def test_declined_call_is_refused(tmp_path: Path, answer: types.ElicitResult) -> None:
    seen = anyio.run(ask_session, wrapped(tmp_path), answer)
    refused = seen["result"]
    assert isinstance(refused, MCPError)
    assert refused.error.code == -32010
    assert "not approved (rules.confirm-sums: ask)" in refused.error.message
    assert not seen["echo"].is_error


@pytest.mark.integration
def test_unanswered_call_is_refused_at_the_approval_timeout(tmp_path: Path) -> None:
    seen = anyio.run(ask_session, wrapped(tmp_path, "--approval-timeout", "0.5"), None)
    refused = seen["result"]
    assert isinstance(refused, MCPError)
    assert "no answer from the person within 0.5 s" in refused.error.message


def response(result: dict[str, Any]) -> Message:
    return Message({"jsonrpc": "2.0", "id": "garrison-1", "result": result})


def test_answers_are_read_strictly() -> None:
    assert approval_outcome(response({"action": "accept", "content": {"approve": True}}), 5) == (
        True, "approved by the person at the client")
    assert approval_outcome(response({"action": "accept", "content": {"approve": "yes"}}), 5)[0] is False
    assert approval_outcome(response({"action": "accept"}), 5)[0] is False
    assert approval_outcome(response({"action": "decline"}), 5) == (False, "the person answered decline")
    assert approval_outcome(response({"action": "cancel"}), 5) == (False, "the person answered cancel")
    assert approval_outcome(None, 5) == (False, "no answer from the person within 5 s")
    error = Message({"jsonrpc": "2.0", "id": "garrison-1", "error": {"code": -32601, "message": "no"}})
    assert approval_outcome(error, 5) == (False, "the client could not ask: no")


def test_only_handshake_clients_that_declared_elicitation_are_asked() -> None:
    def session(version: str, capabilities: dict[str, Any]) -> SessionState:
        return SessionState(server="fx", protocol_version=version, client_capabilities=capabilities)

    assert can_elicit(session("2025-06-18", {"elicitation": {}}))
    assert not can_elicit(session("2025-06-18", {}))
    assert not can_elicit(session("2026-07-28", {"elicitation": {}}))
    form = elicitation_params(session("2025-11-25", {"elicitation": {}}), "add", {"a": "int"}, "why", "rules.x")
    assert form["mode"] == "form"
    assert form["requestedSchema"]["required"] == ["approve"]
    assert "mode" not in elicitation_params(session("2025-06-18", {}), "add", {}, "why", "rules.x")
