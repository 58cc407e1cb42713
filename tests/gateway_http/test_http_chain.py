"""The gateway runs the same interceptor chain as ``garrison wrap``, per upstream, with original names and the
client's identity; the visibility hook hides tools per identity; an ``ask`` needs the person's accept."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from client import text_of
from gateway_http_support import ECHO, OTHER_TOKEN, TOKEN
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from garrison.gateway import BaseInterceptor, Decision, DenyList, InterceptorChain, SessionState
from garrison.gateway.http import ChainFactory, GatewayConfig, ToolVisibility, parse_config, run_gateway
from garrison.gateway.http.app import bind
from garrison.gateway.interceptors import PASS, EventSink, Exchange
from garrison.gateway.messages import Message

pytestmark = [pytest.mark.integration]

CONFIG = f"""
listen: 127.0.0.1:0
clients:
  - identity: alice
    token: env:A
  - identity: bob
    token: env:B
upstreams:
  - name: one
    command: {sys.executable}
    args: [{ECHO}, one]
  - name: two
    command: {sys.executable}
    args: [{ECHO}, two]
"""


class Seen(BaseInterceptor):
    name = "seen"

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None, str | None, str | None]] = []
        self.completed: list[Exchange] = []

    def on_client_request(self, msg: Message, session: SessionState) -> Decision:
        self.requests.append((session.server, session.identity, msg.method, msg.tool_name))
        return PASS

    def on_complete(self, exchange: Exchange, session: SessionState) -> None:
        self.completed.append(exchange)


class AskForWho(BaseInterceptor):
    name = "approval"

    def on_client_request(self, msg: Message, session: SessionState) -> Decision:
        if msg.tool_name == "who":
            schema = {"type": "object", "properties": {}}
            return Decision.ask({"mode": "form", "message": f"allow who on {session.server}?",
                                 "requestedSchema": schema}, "who needs approval")
        return PASS


@asynccontextmanager
async def gateway(interceptors: list[Any], visibility: ToolVisibility | None = None) -> AsyncIterator[str]:
    config = parse_config(CONFIG, path="gw.yaml", environ={"A": TOKEN, "B": OTHER_TOKEN})

    def builder(cfg: GatewayConfig, sink: EventSink | None) -> tuple[ChainFactory, ToolVisibility | None]:
        return lambda server, identity: InterceptorChain(interceptors), visibility

    ready = anyio.Event()
    with bind("127.0.0.1", 0) as sock:
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: run_gateway(config, chain_builder=builder, sock=sock,
                                              on_ready=lambda _: ready.set()))
            await ready.wait()
            yield f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
            tg.cancel_scope.cancel()


Elicit = Callable[..., Any]


@asynccontextmanager
async def client(url: str, token: str, elicit: Elicit | None = None) -> AsyncIterator[ClientSession]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write, elicitation_callback=elicit) as session,
    ):
        await session.initialize()
        yield session


def test_chain_sees_original_names_upstream_and_identity() -> None:
    seen = Seen()

    async def main() -> None:
        async with gateway([seen]) as url, client(url, OTHER_TOKEN) as session:
            await session.call_tool("two__echo", {"text": "x"})

    anyio.run(main)
    assert ("two", "bob", "tools/call", "echo") in seen.requests
    assert [e.outcome for e in seen.completed if e.request.tool_name == "echo"] == ["forwarded"]


def test_a_denied_tool_is_refused_by_the_chain_before_the_upstream() -> None:
    async def main() -> tuple[str, str]:
        deny = DenyList({"echo": "echo is off"})
        async with gateway([deny]) as url, client(url, TOKEN) as session:
            with pytest.raises(MCPError) as refused:
                await session.call_tool("one__echo", {"text": "x"})
            return str(refused.value), text_of(await session.call_tool("one__who", {}))

    refused, who = anyio.run(main)
    assert "echo" in refused
    assert who == "one"


def test_visibility_hook_hides_and_refuses_tools_per_identity() -> None:
    def visible(identity: str | None, server: str, tool: str) -> bool:
        return not (identity == "bob" and server == "one")

    async def main() -> tuple[list[str], list[str], str]:
        async with gateway([], visible) as url:
            async with client(url, TOKEN) as alice:
                alice_tools = sorted(t.name for t in (await alice.list_tools()).tools)
            async with client(url, OTHER_TOKEN) as bob:
                bob_tools = sorted(t.name for t in (await bob.list_tools()).tools)
                with pytest.raises(MCPError) as refused:
                    await bob.call_tool("one__echo", {"text": "x"})
            return alice_tools, bob_tools, str(refused.value)

    alice_tools, bob_tools, refused = anyio.run(main)
    assert "one__echo" in alice_tools
    assert bob_tools == ["two__change", "two__crash", "two__echo", "two__sleep", "two__who"]
    assert "unknown tool 'one__echo'" in refused


@pytest.mark.parametrize(("action", "allowed"), [("accept", True), ("decline", False)])
def test_ask_holds_the_call_until_the_person_accepts(action: str, allowed: bool) -> None:
    asked: list[str] = []

    async def elicit(context: Any, params: Any) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action=action, content={} if action == "accept" else None)

    async def main() -> str:
        async with gateway([AskForWho()]) as url, client(url, TOKEN, elicit) as session:
            try:
                return text_of(await session.call_tool("two__who", {}))
            except MCPError as err:
                return f"refused: {err}"

    answer = anyio.run(main)
    assert asked == ["allow who on two?"]
    if allowed:
        assert answer == "two"
    else:
        assert answer.startswith("refused: not approved at the client: who needs approval")


def test_ask_without_an_elicitation_capable_client_is_refused(tmp_path: Path) -> None:
    async def main() -> str:
        async with gateway([AskForWho()]) as url, client(url, TOKEN) as session:
            try:
                return text_of(await session.call_tool("one__who", {}))
            except MCPError as err:
                return str(err)

    assert anyio.run(main).startswith("not approved at the client: who needs approval")


def test_policy_from_the_config_hides_tools_per_identity(tmp_path: Path) -> None:
    from garrison.gateway.http.chain import gateway_chains

    policy = tmp_path / "garrison.yaml"
    policy.write_text("version: 1\ndefaults:\n  action: allow\nrules:\n  - name: bob-no-echo\n    server: one\n"
                      "    tool: echo\n    identity: bob\n    action: deny\n    reason: not for bob\n")
    config = parse_config(CONFIG + f"policy: {policy}\n", path=str(tmp_path / "gw.yaml"),
                          environ={"A": TOKEN, "B": OTHER_TOKEN})
    chains, visible = gateway_chains(config, None)
    assert visible is not None
    assert not visible("bob", "one", "echo")
    assert visible("alice", "one", "echo")
    assert visible("bob", "two", "echo")
    assert [i.name for i in chains("one", "bob").interceptors] == ["guard", "policy", "sanitise"]
    assert chains("one", "bob") is not chains("one", "bob")  # one chain per relayed session


def test_pins_from_the_lockfile_run_in_the_gateway_chain(tmp_path: Path) -> None:
    from garrison.gateway.http.chain import gateway_chains

    lockfile = tmp_path / "garrison.lock"
    text = CONFIG + f"lockfile: {lockfile}\n"

    async def main() -> list[str]:
        config = parse_config(text, path=str(tmp_path / "gw.yaml"), environ={"A": TOKEN, "B": OTHER_TOKEN})
        ready = anyio.Event()
        with bind("127.0.0.1", 0) as sock:
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: run_gateway(config, chain_builder=gateway_chains, sock=sock,
                                                  on_ready=lambda _: ready.set()))
                await ready.wait()
                url = f"http://127.0.0.1:{sock.getsockname()[1]}/mcp"
                async with client(url, TOKEN) as session:
                    names = sorted(t.name for t in (await session.list_tools()).tools)
                tg.cancel_scope.cancel()
        return names

    names = anyio.run(main)
    assert "one__echo" in names
    pinned = json.loads(lockfile.read_text())  # no lockfile yet: each upstream pinned on first use
    assert set(pinned["servers"]) == {"one", "two"}
    assert "tool:echo" in pinned["servers"]["one"]["items"]
