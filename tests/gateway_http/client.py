"""SDK client helpers for the gateway tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from mcp.client.session import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client


@asynccontextmanager
async def session(base: str, token: str, on_message: Any = None) -> AsyncIterator[ClientSession]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http,
        streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
        ClientSession(read, write, message_handler=on_message) as client,
    ):
        await client.initialize()
        yield client


@asynccontextmanager
async def sse_session(base: str, token: str) -> AsyncIterator[ClientSession]:
    async with (
        sse_client(f"{base}/sse", headers={"Authorization": f"Bearer {token}"}) as (read, write),
        ClientSession(read, write) as client,
    ):
        await client.initialize()
        yield client


def text_of(result: object) -> str:
    content = getattr(result, "content", [])
    return "".join(getattr(part, "text", "") for part in content)
