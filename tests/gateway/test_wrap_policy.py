"""The policy in ``garrison wrap``: denied calls refused and hidden, ``ask`` refused when nobody can be asked,
a broken policy file stops the wrapper before it starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from wrap_harness import SDK_SERVER, wrap_command

pytestmark = pytest.mark.integration

POLICY = """\
version: 1
defaults:
  action: allow
rules:
  - name: no-crash
    tool: crash
    action: deny
    reason: crashing the server is off
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


async def outcome(call: Any) -> Any:
    try:
        return await call
    except MCPError as err:
        return err


async def session(params: StdioServerParameters) -> dict[str, Any]:
    async with Client(params, mode="legacy") as client:
        return {
            "tools": {t.name for t in (await client.list_tools()).tools},
            "crash": await outcome(client.call_tool("crash", {"code": 1})),
            "add": await outcome(client.call_tool("add", {"a": 1, "b": 2})),
            "echo": await outcome(client.call_tool("echo", {"text": "hi"})),
        }


def test_deny_refuses_and_hides_and_ask_without_elicitation_is_refused(tmp_path: Path) -> None:
    seen = anyio.run(session, wrapped(tmp_path))
    assert "crash" not in seen["tools"]
    assert {"add", "echo"} <= seen["tools"]
    denied = seen["crash"]
    assert isinstance(denied, MCPError)
    assert denied.error.code == -32010
    assert "denied by policy rule rules.no-crash: " in denied.error.message
    assert "crashing the server is off" in denied.error.message
    assert denied.error.data["where"].startswith(str(tmp_path / "garrison.yaml") + ":")
    asked = seen["add"]
    assert isinstance(asked, MCPError)
    assert "approval required by policy rule rules.confirm-sums" in asked.error.message
    assert "cannot be asked" in asked.error.message
    assert not isinstance(seen["echo"], MCPError)


def test_an_invalid_policy_stops_the_wrapper_with_a_usage_error(tmp_path: Path) -> None:
    policy = tmp_path / "garrison.yaml"
    policy.write_text("version: 1\nrules:\n  - name: x\n    tool: [\n")
    done = subprocess.run(
        wrap_command([sys.executable, SDK_SERVER], "--policy", str(policy), "--unsafe-no-audit", bare=False),
        input="", capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert str(policy) in done.stderr
    assert done.stdout == ""
