"""Transparency: the SDK client sees the same thing through ``garrison wrap`` as it does directly.

One scenario (lists, calls, errors, prompts, resources, progress, logging, sampling, elicitation, roots,
list_changed notifications) runs against the SDK fixture server twice, direct and wrapped, in both protocol
eras; every observation must be identical.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.session import ClientRequestContext
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from wrap_harness import SDK_SERVER, wrap_command

pytestmark = pytest.mark.integration

Observations = list[tuple[str, Any]]


def direct() -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=[SDK_SERVER])


def wrapped(*options: str) -> StdioServerParameters:
    command = wrap_command([sys.executable, SDK_SERVER], *options)
    return StdioServerParameters(command=command[0], args=command[1:])


def dump(value: Any) -> Any:
    return value.model_dump(mode="json", exclude_none=True) if hasattr(value, "model_dump") else value


async def scenario(params: StdioServerParameters, mode: str) -> Observations:
    # Sampling, elicitation, roots, logging and ping are deprecated in the 2026-07-28 era but still relayed.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        return await _scenario(params, mode)


async def _scenario(params: StdioServerParameters, mode: str) -> Observations:
    seen: Observations = []

    async def sampling(context: ClientRequestContext,
                       params: types.CreateMessageRequestParams) -> types.CreateMessageResult:
        seen.append(("sampling", dump(params)))
        return types.CreateMessageResult(role="assistant", model="fake",
                                         content=types.TextContent(type="text", text="blue"))

    async def elicitation(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
        seen.append(("elicitation", params.message))
        return types.ElicitResult(action="accept", content={"colour": "green"})

    async def list_roots(context: ClientRequestContext) -> types.ListRootsResult:
        root = types.Root.model_validate({"uri": "file:///tmp/project", "name": "project"})
        return types.ListRootsResult(roots=[root])

    async def logging(params: types.LoggingMessageNotificationParams) -> None:
        seen.append(("log", dump(params)))

    async def messages(message: Any) -> None:
        if isinstance(message, types.ServerNotification):
            seen.append(("notification", type(message).__name__))

    async def progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(("progress", (progress, total, message)))

    async def attempt(label: str, call: Any) -> None:
        try:
            seen.append((label, dump(await call)))
        except MCPError as err:
            seen.append((label, f"error {err}"))

    async with Client(params, mode=mode, sampling_callback=sampling, elicitation_callback=elicitation,
                      list_roots_callback=list_roots, logging_callback=logging, message_handler=messages,
                      log_level="debug") as client:
        seen.append(("version", client.protocol_version))
        seen.append(("server_info", dump(client.server_info)))
        seen.append(("instructions", client.instructions))
        await attempt("tools", client.list_tools())
        await attempt("prompts", client.list_prompts())
        await attempt("resources", client.list_resources())
        await attempt("templates", client.list_resource_templates())
        await attempt("add", client.call_tool("add", {"a": 2, "b": 40}))
        await attempt("echo", client.call_tool("echo", {"text": "héllo \u200b wörld"}))
        await attempt("big", client.call_tool("big_output", {"size": 200_000}))
        await attempt("fail", client.call_tool("fail", {"reason": "on purpose"}))
        await attempt("bad args", client.call_tool("add", {"a": "x"}))
        await attempt("unknown", client.call_tool("no_such_tool", {}))
        await attempt("progress", client.call_tool("with_progress", {"steps": 3}, progress_callback=progress))
        await attempt("prompt", client.get_prompt("greet", {"name": "Ada"}))
        await attempt("readme", client.read_resource("fixture://readme"))
        await attempt("item", client.read_resource("fixture://items/42"))
        await attempt("sampling", client.call_tool("ask_model", {"prompt": "colour?"}))
        await attempt("elicit", client.call_tool("ask_user", {"question": "favourite colour?"}))
        await attempt("roots", client.call_tool("roots", {}))
        await attempt("changed", client.call_tool("change_tools", {}))
        if mode == "legacy":
            await attempt("ping", client.send_ping())
    return seen


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_wrapped_session_is_identical_to_direct(mode: str) -> None:
    expected = anyio.run(scenario, direct(), mode)
    got = anyio.run(scenario, wrapped("--unsafe-no-sanitise"), mode)
    assert got == expected
    labels = {label for label, _ in expected}
    assert "log" in labels
    if mode == "legacy":  # server→client requests exist only in the handshake era
        assert {"sampling", "elicitation"} <= labels
    assert ("progress", (3.0, 3.0, "step 3")) in expected


def test_modern_era_is_negotiated_through_the_wrapper() -> None:
    seen = anyio.run(scenario, wrapped(), "auto")
    assert ("version", "2026-07-28") in seen


def test_sanitiser_changes_only_hidden_characters() -> None:
    plain = dict(anyio.run(scenario, direct(), "legacy"))
    clean = dict(anyio.run(scenario, wrapped(), "legacy"))
    tools = {t["name"]: t for t in plain["tools"]["tools"]}
    tools_clean = {t["name"]: t for t in clean["tools"]["tools"]}
    assert tools_clean["hidden_note"]["description"] == "Reads a note with colour and tags."
    tools_clean["hidden_note"]["description"] = tools["hidden_note"]["description"]
    assert tools_clean == tools
    assert plain["instructions"] == "Fixture server for gateway tests.\u200b"
    assert clean["instructions"] == "Fixture server for gateway tests."
    assert clean["echo"] == plain["echo"]  # results are not touched, only listed descriptions


async def denied_session(params: StdioServerParameters) -> tuple[list[str], str]:
    async with Client(params, mode="legacy") as client:
        names = [t.name for t in (await client.list_tools()).tools]
        try:
            await client.call_tool("crash", {"code": 1})
        except MCPError as err:
            return names, str(err)
        await client.call_tool("echo", {"text": "alive"})
    raise AssertionError("the denied call was not refused")


def test_denied_tool_is_hidden_and_refused_with_a_named_reason(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    names, error = anyio.run(denied_session, wrapped("--name", "fx", "--deny-tools", "crash,hang",
                                                     "--events", str(events)))
    assert "crash" not in names
    assert "hang" not in names
    assert "echo" in names
    assert "tool 'crash' on server 'fx' is denied by the gateway: denied by --deny-tools" in error
    records = [json.loads(line) for line in events.read_text().splitlines()]
    call = next(r for r in records if r["fields"]["method"] == "tools/call")
    assert call["logsource"] == {"product": "mcp", "category": "tool_call"}
    assert call["fields"]["tool"] == "crash"
    assert call["fields"]["arguments_shape"] == {"code": "int"}
    assert call["fields"]["decision"] == "reply:deny-list"
    assert call["fields"]["is_error"] is True
    listing = next(r for r in records if r["fields"]["method"] == "tools/list")
    assert listing["fields"]["decision"].startswith("rewrite:")
    assert "deny-list" in listing["fields"]["decision"]
    assert listing["fields"]["latency_ms"] >= 0
    assert listing["fields"]["result_bytes"] > 0
