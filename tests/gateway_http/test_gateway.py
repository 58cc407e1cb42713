"""The gateway over real HTTP: aggregation, namespacing, routing, both transports, identity in records."""

from __future__ import annotations

import json

import anyio
import httpx2
import pytest
from client import session, sse_session, text_of
from gateway_http_support import OTHER_TOKEN, TOKEN, Gateway

pytestmark = [pytest.mark.integration]


def test_tools_of_every_upstream_are_listed_with_their_prefix(two_stdio_one_http: Gateway) -> None:
    async def main() -> list[str]:
        async with session(two_stdio_one_http.url, TOKEN) as client:
            return sorted(t.name for t in (await client.list_tools()).tools)

    names = anyio.run(main)
    assert names == sorted(f"{server}__{tool}" for server in ("one", "two", "web")
                           for tool in ("change", "crash", "echo", "sleep", "who"))


def test_calls_reach_the_upstream_named_by_the_prefix_with_the_original_name(two_stdio_one_http: Gateway) -> None:
    async def main() -> list[str]:
        async with session(two_stdio_one_http.url, TOKEN) as client:
            who = [text_of(await client.call_tool(f"{s}__who", {})) for s in ("one", "two", "web")]
            echo = text_of(await client.call_tool("two__echo", {"text": "ping"}))
            return [*who, echo]

    assert anyio.run(main) == ["one", "two", "web", "ping"]


def test_prompts_and_resources_are_aggregated_and_routed(two_stdio_one_http: Gateway) -> None:
    async def main() -> tuple[list[str], list[str], str, str]:
        async with session(two_stdio_one_http.url, TOKEN) as client:
            prompts = sorted(p.name for p in (await client.list_prompts()).prompts)
            uris = sorted(str(r.uri) for r in (await client.list_resources()).resources)
            prompt = await client.get_prompt("web__greet", {"person": "ann"})
            read = await client.read_resource("two://note")
            return prompts, uris, str(prompt.messages[0].content.text), str(read.contents[0].text)

    prompts, uris, greeting, note = anyio.run(main)
    assert prompts == ["one__greet", "two__greet", "web__greet"]
    assert uris == ["one://note", "two://note", "web://note"]
    assert greeting == "hello ann from web"
    assert note == "note of two"


def test_unknown_tool_is_an_error_naming_it(two_stdio_one_http: Gateway) -> None:
    async def main() -> str:
        async with session(two_stdio_one_http.url, TOKEN) as client:
            try:
                await client.call_tool("nosuch__echo", {"text": "x"})
            except Exception as err:
                return str(err)
            return "no error"

    assert "nosuch__echo" in anyio.run(main)


def test_sse_transport_serves_the_same_aggregate(two_stdio_one_http: Gateway) -> None:
    async def main() -> tuple[int, str]:
        async with sse_session(two_stdio_one_http.url, OTHER_TOKEN) as client:
            tools = (await client.list_tools()).tools
            return len(tools), text_of(await client.call_tool("one__echo", {"text": "via sse"}))

    assert anyio.run(main) == (15, "via sse")


def test_every_record_carries_the_identity_and_the_upstream(two_stdio_one_http: Gateway) -> None:
    async def main() -> None:
        async with session(two_stdio_one_http.url, OTHER_TOKEN) as client:
            await client.call_tool("web__echo", {"text": "secret value"})

    anyio.run(main)
    records = [json.loads(line) for line in two_stdio_one_http.events.read_text().splitlines()]
    calls = [r for r in records if r["fields"]["tool"] == "echo" and r["fields"]["server"] == "web"
             and r["fields"].get("identity") == "bob"]
    assert calls, records[-3:]
    assert calls[-1]["fields"]["arguments_shape"] == {"text": "str"}
    assert all("identity" in r["fields"] for r in records)
    assert "secret value" not in two_stdio_one_http.events.read_text()


def test_health_shows_each_upstream_without_secrets(two_stdio_one_http: Gateway) -> None:
    response = httpx2.get(f"{two_stdio_one_http.url}/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert {name: u["status"] for name, u in body["upstreams"].items()} == {"one": "up", "two": "up", "web": "up"}
    text = response.text
    for secret in (TOKEN, "echo_server.py", "127.0.0.1"):
        assert secret not in text


@pytest.mark.parametrize("mode", ["2026-07-28", "legacy"])
def test_both_protocol_eras_are_served(two_stdio_one_http: Gateway, mode: str) -> None:
    from mcp.client.client import Client
    from mcp.client.streamable_http import streamable_http_client

    async def main() -> tuple[str, int, str]:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as http:
            transport = streamable_http_client(f"{two_stdio_one_http.url}/mcp", http_client=http)
            async with Client(transport, mode=mode) as client:
                tools = await client.list_tools()
                echoed = await client.call_tool("web__echo", {"text": f"era {mode}"})
                return client.protocol_version, len(tools.tools), text_of(echoed)

    version, count, echoed = anyio.run(main)
    if mode == "legacy":
        assert version < "2026"
    else:
        assert version == mode
    assert count == 15
    assert echoed == f"era {mode}"


def test_list_changed_from_an_upstream_reaches_every_client_session(two_stdio_one_http: Gateway) -> None:
    async def main() -> list[str]:
        heard: list[str] = []
        got = anyio.Event()

        async def listen(message: object) -> None:
            method = getattr(getattr(message, "root", message), "method", None)
            if method:
                heard.append(str(method))
                got.set()

        async with session(two_stdio_one_http.url, OTHER_TOKEN, listen) as watcher:
            await watcher.list_tools()  # the standalone stream is open once the session is in use
            async with session(two_stdio_one_http.url, TOKEN) as actor:
                assert text_of(await actor.call_tool("one__change", {})) == "changed"
            with anyio.fail_after(20):
                await got.wait()
        return heard

    assert "notifications/tools/list_changed" in anyio.run(main)
