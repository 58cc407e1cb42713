"""One upstream failing never takes the gateway down: its call errors, the others serve, it comes back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
from client import session, text_of
from gateway_http_support import CLIENTS, TOKEN, Gateway, run_gateway, stdio_upstream
from mcp.shared.exceptions import MCPError

pytestmark = [pytest.mark.integration]


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    body = "listen: 127.0.0.1:0\n" + CLIENTS + "upstreams:\n" + stdio_upstream("one") + stdio_upstream("two")
    with run_gateway(tmp_path, body) as gw:
        yield gw


def test_upstream_crash_mid_call_errors_that_call_only_and_the_upstream_is_restarted(gateway: Gateway) -> None:
    async def main() -> tuple[str, str, list[str], str]:
        async with session(gateway.url, TOKEN) as client:
            with pytest.raises(MCPError) as crashed:
                await client.call_tool("one__crash", {})
            other = text_of(await client.call_tool("two__echo", {"text": "still here"}))
            listed = sorted(t.name for t in (await client.list_tools()).tools)
            deadline = time.monotonic() + 30
            back = ""
            while time.monotonic() < deadline and not back:
                try:
                    back = text_of(await client.call_tool("one__who", {}))
                except MCPError:
                    await anyio.sleep(0.1)
            return str(crashed.value), other, listed, back

    crashed, other, listed, back = anyio.run(main)
    assert crashed == "upstream 'one' closed before answering 'tools/call'"
    assert other == "still here"
    assert "two__echo" in listed
    assert back == "one"
    health = httpx2.get(f"{gateway.url}/healthz").json()
    assert health["upstreams"]["one"]["restarts"] >= 1
    assert health["upstreams"]["two"]["restarts"] == 0


def test_an_upstream_that_cannot_start_is_reported_and_the_others_serve(tmp_path: Path) -> None:
    body = ("listen: 127.0.0.1:0\n" + CLIENTS + "upstreams:\n" + stdio_upstream("one")
            + "  - name: broken\n    command: /nonexistent/server\n    timeout: 5\n")
    with run_gateway(tmp_path, body) as gw:
        async def main() -> list[str]:
            async with session(gw.url, TOKEN) as client:
                return sorted(t.name for t in (await client.list_tools()).tools)

        assert anyio.run(main) == ["one__change", "one__crash", "one__echo", "one__sleep", "one__who"]
        response = httpx2.get(f"{gw.url}/healthz")
        assert response.status_code == 503
        broken = response.json()["upstreams"]["broken"]
        assert broken["status"] == "down"
        assert "retrying" in broken["error"]


def test_a_request_over_the_upstream_timeout_gets_an_error_naming_it(tmp_path: Path) -> None:
    body = "listen: 127.0.0.1:0\n" + CLIENTS + "upstreams:\n" + stdio_upstream("one").replace("timeout: 20",
                                                                                             "timeout: 1")
    with run_gateway(tmp_path, body) as gw:
        async def main() -> tuple[int, str, str]:
            async with session(gw.url, TOKEN) as client:
                with pytest.raises(MCPError) as late:
                    await client.call_tool("one__sleep", {"seconds": 30})
                return late.value.error.code, str(late.value), text_of(await client.call_tool("one__who", {}))

        code, message, after = anyio.run(main)
    assert code == -32001
    assert message == "upstream 'one' did not answer 'tools/call' within 1 s"
    assert after == "one"
