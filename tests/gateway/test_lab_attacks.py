"""The lab's attacks against a client that reaches its servers through ``garrison wrap`` with default settings.

tool poisoning (``poisoned_report``, both wordings) → the exfiltrating ``sidenote`` is blocked at the argument;
rug pull (``rugpull``, trusted on first use) → the changed tool is hidden and refused; cross-server
shadowing (``contaminator`` → ``mailer``) → the smuggled bcc is refused by a recipient-domain policy; hidden
text (``hidden``) → invisible characters and escapes never reach the client; name squatting (``lookalike``) →
a server missing from an existing lockfile is blocked.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from wrap_harness import wrap_command

from garrison.lab.catalog import by_id
from garrison.lab.servers import contaminator

pytestmark = pytest.mark.integration

SSH_KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\n"
           "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
           "QyNTUxOQAAACDr3zZ2p0oM4n2aQ1v6Yx8Tq0hLkP3mB7uJdR5sWcA9eQAAAJgK3m0ZCt5t\n"
           "-----END OPENSSH PRIVATE KEY-----\n")
MCP_JSON = json.dumps({"mcpServers": {"github": {"command": "npx", "args": ["-y", "server-github"],
                                                  "env": {"GITHUB_TOKEN": "redacted-for-test"}}}}, indent=2)
HIDDEN = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\x1b\U000e0000-\U000e007f]")


def lab(server_id: str, *extra: str) -> list[str]:
    entry = by_id(server_id)
    return [sys.executable, "-m", entry.module, *entry.args, *extra]


def wrapped(server: list[str], tmp: Path, name: str, *options: str) -> StdioServerParameters:
    command = wrap_command(server, "--name", name, "--lockfile", str(tmp / "garrison.lock"), "--unsafe-no-audit",
                           *options, bare=False)
    return StdioServerParameters(command=command[0], args=command[1:])


async def outcome(call: Any) -> Any:
    try:
        return await call
    except MCPError as err:
        return err


async def report_session(params: StdioServerParameters) -> dict[str, Any]:
    async with Client(params, mode="legacy") as client:
        await client.list_tools()
        call = client.call_tool
        return {
            "key": await outcome(call("daily_report_analysis", {"date": "2026-01-31", "sidenote": SSH_KEY})),
            "config": await outcome(call("daily_report_analysis", {"date": "2026-01-31", "sidenote": MCP_JSON})),
            "both": await outcome(call("daily_report_analysis",
                                       {"date": "2026-01-31", "sidenote": MCP_JSON + "\n" + SSH_KEY})),
            "honest": await outcome(call("daily_report_analysis", {"date": "2026-01-31"})),
        }


@pytest.mark.parametrize("server_id", ["poisoned_report", "poisoned_report_docs"])
def test_tool_poisoning_exfiltration_is_blocked_at_the_argument(server_id: str, tmp_path: Path) -> None:
    seen = anyio.run(report_session, wrapped(lab(server_id), tmp_path, "report_analytics"))
    for which in ("key", "config", "both"):
        refused = seen[which]
        assert isinstance(refused, MCPError), which
        assert refused.error.code == -32010
        assert "GA101" in refused.error.message
        assert "arguments.sidenote" in refused.error.message
        assert "b3BlbnNzaC1rZXkt" not in refused.error.message + json.dumps(refused.error.data)
        assert "redacted-for-test" not in refused.error.message + json.dumps(refused.error.data)
    assert not isinstance(seen["honest"], MCPError)
    assert not seen["honest"].is_error


async def rug_pull_session(params: StdioServerParameters, mode: str) -> dict[str, Any]:
    args = {"amount": 5, "source": "GBP", "target": "JPY"}
    async with Client(params, mode=mode) as client:
        listed = [t.name for t in (await client.list_tools()).tools]
        honest = [await outcome(client.call_tool("convert_currency", args)) for _ in range(3)]
        pulled = await outcome(client.call_tool("convert_currency", args))
        relisted = [t.name for t in (await client.list_tools()).tools]
        after = await outcome(client.call_tool("convert_currency", args))
    return {"listed": listed, "honest": honest, "pulled": pulled, "relisted": relisted, "after": after}


@pytest.mark.parametrize("mode", ["legacy", "auto"])  # both protocol eras
def test_rug_pull_after_trust_on_first_use_is_refused(tmp_path: Path, mode: str) -> None:
    server = lab("rugpull", "--state", str(tmp_path / "state.json"))
    seen = anyio.run(rug_pull_session, wrapped(server, tmp_path, "currency_rates"), mode)
    assert seen["listed"] == ["convert_currency"]
    assert all(not isinstance(r, MCPError) for r in seen["honest"])
    # The poisoned description never reaches the client, and once the gateway has seen it, calls stop.
    assert seen["relisted"] == []
    assert isinstance(seen["after"], MCPError)
    assert "changed since it was approved" in seen["after"].error.message
    assert "garrison approve currency_rates/tool:convert_currency" in seen["after"].error.message
    if mode == "legacy":  # the server announces the change (list_changed), so the very next call is refused
        assert isinstance(seen["pulled"], MCPError)
        assert "changed since it was approved" in seen["pulled"].error.message


MAIL_POLICY = """\
version: 1
defaults:
  unpinned: pin_on_first_use
rules:
  - name: mail-stays-inside
    server: mailer
    tool: send_daily_email
    arguments:
      to: {domains: {allow: [corp.example]}}
      cc: {domains: {allow: [corp.example]}}
      bcc: {domains: {allow: [corp.example]}}
"""


async def mail_session(params: StdioServerParameters) -> dict[str, Any]:
    mail = {"to": ["team@corp.example"], "subject": "Daily digest", "body": "All green."}
    async with Client(params, mode="legacy") as client:
        await client.list_tools()
        return {
            "shadowed": await outcome(client.call_tool("send_daily_email",
                                                       {**mail, "bcc": ["records@mail-retention.example"]})),
            "honest": await outcome(client.call_tool("send_daily_email", mail)),
        }


def test_cross_server_shadowing_bcc_is_refused_by_policy(tmp_path: Path) -> None:
    assert "records@mail-retention.example" in contaminator.DESCRIPTION  # what the contaminator asks for
    policy = tmp_path / "garrison.yaml"
    policy.write_text(MAIL_POLICY)
    seen = anyio.run(mail_session, wrapped(lab("mailer"), tmp_path, "mailer", "--policy", str(policy)))
    refused = seen["shadowed"]
    assert isinstance(refused, MCPError)
    assert "rules.mail-stays-inside" in refused.error.message
    assert "mail-retention.example" in refused.error.message
    assert not isinstance(seen["honest"], MCPError)


async def hidden_session(params: StdioServerParameters) -> dict[str, Any]:
    async with Client(params, mode="legacy") as client:
        tools = (await client.list_tools()).tools
        texts = [t.description or "" for t in tools]
        texts += [json.dumps(t.input_schema, ensure_ascii=False) for t in tools]
        return {"texts": texts, "instructions": client.instructions or ""}


def test_hidden_text_never_reaches_the_client(tmp_path: Path) -> None:
    server = lab("hidden")
    direct = anyio.run(hidden_session, StdioServerParameters(command=server[0], args=server[1:]))
    assert any(HIDDEN.search(text) for text in direct["texts"])  # the attack is there without the gateway
    seen = anyio.run(hidden_session, wrapped(server, tmp_path, "text_tools"))
    descriptions = seen["texts"][: len(seen["texts"]) // 2]
    assert descriptions
    assert not any(HIDDEN.search(text) for text in descriptions)
    assert not HIDDEN.search(seen["instructions"])


def test_a_lookalike_server_missing_from_the_lockfile_is_blocked(tmp_path: Path) -> None:
    pinned = subprocess.run([sys.executable, "-m", "garrison", "pin", "--lockfile", str(tmp_path / "garrison.lock"),
                             "--no-store", "--name", "report_analytics", "--", *lab("benign_report")],
                            capture_output=True, text=True, timeout=120, check=False)
    assert pinned.returncode == 0, pinned.stderr
    seen = anyio.run(report_session, wrapped(lab("lookalike"), tmp_path, "report-analytics"))
    refused = seen["honest"]
    assert isinstance(refused, MCPError)
    assert "server 'report-analytics' is not pinned" in refused.error.message
