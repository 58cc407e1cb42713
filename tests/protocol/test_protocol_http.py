"""Snapshots over streamable HTTP and SSE against an in-process MCPServer on 127.0.0.1, and both eras."""

from __future__ import annotations

import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
import uvicorn
from mcp.server.mcpserver import MCPServer

from garrison.errors import ConnectError, ProtocolViolation
from garrison.lab.catalog import by_id, launch_spec
from garrison.lab.servers import benign_report
from garrison.model import LaunchSpec
from garrison.protocol import Limits, snapshot_server

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port; yield ``http://127.0.0.1:<port>``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="on"))
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: server.serve(sockets=[sock]))
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
    sock.close()


def _big_server(size: int) -> MCPServer:
    server = MCPServer("big")

    @server.tool(description="B" * size)
    def probe() -> str:
        return "ok"

    return server


async def test_streamable_http_snapshot_in_both_eras() -> None:
    async with serving(benign_report.build().streamable_http_app()) as base:
        spec = LaunchSpec(name="reports", transport="http", url=f"{base}/mcp")
        modern = await snapshot_server(spec, timeout=20)
        legacy = await snapshot_server(spec, timeout=20, mode="legacy")
    for snap in (modern, legacy):
        assert [t.key for t in snap.tools] == ["daily_report_analysis"]
        assert snap.server_info is not None
        assert snap.server_info["name"] == "report_analytics"
        assert snap.instructions == "Daily business report analysis."
    assert modern.protocol_version == "2026-07-28"
    assert legacy.protocol_version == "2025-11-25"
    assert modern.tools[0].raw["inputSchema"] == legacy.tools[0].raw["inputSchema"]


async def test_sse_snapshot() -> None:
    async with serving(benign_report.build().sse_app()) as base:
        spec = LaunchSpec(name="reports-sse", transport="sse", url=f"{base}/sse")
        modern = await snapshot_server(spec, timeout=20)
        legacy = await snapshot_server(spec, timeout=20, mode="legacy")
    assert [t.key for t in modern.tools] == [t.key for t in legacy.tools] == ["daily_report_analysis"]
    assert (modern.protocol_version, legacy.protocol_version) == ("2026-07-28", "2025-11-25")


@pytest.mark.parametrize("kind", ["http-json", "http-events", "sse"])
async def test_oversized_http_answer_is_a_protocol_violation(kind: str) -> None:
    server = _big_server(3 * 1024 * 1024)
    if kind == "sse":
        app, url_path, transport = server.sse_app(), "/sse", "sse"
    else:
        app = server.streamable_http_app(json_response=kind == "http-json")
        url_path, transport = "/mcp", "http"
    async with serving(app) as base:
        spec = LaunchSpec(name="big", transport=transport, url=base + url_path)  # type: ignore[arg-type]
        limit = r"(exceeds the 1048576-byte limit|exceeded the 1048576 byte limit)"
        with pytest.raises(ProtocolViolation, match=rf"server 'big': .*{limit}"):
            await snapshot_server(spec, timeout=20, limits=Limits(max_message_bytes=1024 * 1024))


async def test_unreachable_url_names_the_server() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spec = LaunchSpec(name="gone", transport="http", url=f"http://127.0.0.1:{port}/mcp")
    with pytest.raises(ConnectError, match=r"^server 'gone': "):
        await snapshot_server(spec, timeout=10)


async def test_non_http_url_is_refused() -> None:
    spec = LaunchSpec(name="odd", transport="http", url="file:///etc/passwd")
    with pytest.raises(ConnectError, match="unsupported server URL"):
        await snapshot_server(spec, timeout=5)


@pytest.mark.parametrize(("mode", "version"), [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
async def test_stdio_eras(mode: Any, version: str, fixture_spec: Callable[[str], LaunchSpec]) -> None:
    spec = launch_spec(by_id("benign_report"), python=sys.executable)
    snap = await snapshot_server(spec, timeout=30, mode=mode)
    assert snap.protocol_version == version
    assert [t.key for t in snap.tools] == ["daily_report_analysis"]
    # A handshake-only server answers server/discover with an error; auto falls back to initialize.
    old = await snapshot_server(fixture_spec("ok"), timeout=20, mode=mode)
    assert old.protocol_version == "2025-11-25"
