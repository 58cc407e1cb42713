"""One supervised upstream MCP server (the edge: a process or an HTTP connection, and a clock).

The gateway opens each upstream once, over the SDK's client transports (``stdio_client``,
``streamable_http_client``, ``sse_client``) with a raw :class:`~mcp.shared.jsonrpc_dispatcher.JSONRPCDispatcher`
on top, so requests and results travel as JSON objects and are never re-validated or reshaped. The session is
shared by every client session of the gateway; the dispatcher gives each request its own id.

If the upstream dies (the process exits, the stream closes, the handshake fails or times out) every request
in flight fails with ``CONNECTION_CLOSED`` naming the upstream, new requests fail at once with the reason,
and the connection is retried with exponential backoff (0.5 s doubling to 30 s; reset after a minute up).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Literal

import anyio
from mcp.shared.dispatcher import CallOptions, DispatchContext, ProgressFnT
from mcp.shared.exceptions import MCPError
from mcp.shared.transport_context import TransportContext
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT
from mcp_types.version import LATEST_HANDSHAKE_VERSION

from garrison import __version__
from garrison.gateway.http.config import UpstreamConfig

__all__ = ["Status", "Upstream"]

Status = Literal["starting", "up", "down", "stopped"]
Dctx = DispatchContext[TransportContext]
RequestHook = Callable[[str, str, Mapping[str, Any] | None], Awaitable[dict[str, Any]]]
NotifyHook = Callable[[str, str, Mapping[str, Any] | None], Awaitable[None]]
StateHook = Callable[[str, Status], Awaitable[None]]

CLIENT_CAPABILITIES: dict[str, Any] = {
    "sampling": {},
    "elicitation": {"form": {}, "url": {}},
    "roots": {"listChanged": True},
}


STARTUP_TIMEOUT = 30.0
"""Seconds an upstream gets to answer ``initialize`` (at least; a longer per-upstream timeout applies)."""


def _describe(err: BaseException) -> str:
    """One line for ``/healthz`` and notices: the first real error inside task-group wrappers."""
    while isinstance(err, BaseExceptionGroup) and err.exceptions:
        err = err.exceptions[0]
    if isinstance(err, MCPError):
        return f"handshake failed: {err.error.message}"
    text = str(err)
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


class Upstream:
    """Connects, handshakes, relays and reconnects. ``on_request``/``on_notify`` receive what the upstream
    sends (``(upstream, method, params)``); ``on_state`` hears every status change."""

    def __init__(self, config: UpstreamConfig, *, on_request: RequestHook, on_notify: NotifyHook,
                 on_state: StateHook, backoff: tuple[float, float] = (0.5, 30.0),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.name = config.name
        self.status: Status = "starting"
        self.error: str | None = None
        self.restarts = 0
        self.capabilities: Mapping[str, Any] = {}
        self.server_info: Mapping[str, Any] = {}
        self.protocol_version: str | None = None
        self.instructions: str | None = None
        self._on_request = on_request
        self._on_notify = on_notify
        self._on_state = on_state
        self._backoff = backoff
        self._clock = clock
        self._dispatcher: Any = None
        self.ready = anyio.Event()

    def health(self) -> dict[str, Any]:
        """What ``/healthz`` shows: no command line, URL, environment or token."""
        out: dict[str, Any] = {"status": self.status, "transport": self.config.transport, "restarts": self.restarts}
        if self.error is not None and self.status != "up":
            out["error"] = self.error
        if self.server_info.get("name"):
            out["server"] = {"name": self.server_info.get("name"), "version": self.server_info.get("version")}
        return out

    async def request(self, method: str, params: Mapping[str, Any] | None, *,
                      on_progress: ProgressFnT | None = None) -> dict[str, Any]:
        dispatcher = self._dispatcher
        if dispatcher is None or self.status != "up":
            reason = f": {self.error}" if self.error else ""
            raise MCPError(CONNECTION_CLOSED, f"upstream {self.name!r} is unavailable ({self.status}){reason}",
                           {"server": self.name})
        opts: CallOptions = {"timeout": self.config.timeout}
        if on_progress is not None:
            opts["on_progress"] = on_progress
        try:
            result: dict[str, Any] = await dispatcher.send_raw_request(method, params, opts)
        except MCPError as err:
            if err.error.code == CONNECTION_CLOSED:
                raise MCPError(CONNECTION_CLOSED, f"upstream {self.name!r} closed before answering {method!r}",
                               {"server": self.name}) from None
            if err.error.code == REQUEST_TIMEOUT:
                raise MCPError(REQUEST_TIMEOUT, f"upstream {self.name!r} did not answer {method!r} within "
                               f"{self.config.timeout:g} s", {"server": self.name}) from None
            raise
        return result

    async def notify(self, method: str, params: Mapping[str, Any] | None) -> None:
        dispatcher = self._dispatcher
        if dispatcher is not None and self.status == "up":
            with contextlib.suppress(Exception):
                await dispatcher.notify(method, params)

    @contextlib.asynccontextmanager
    async def _streams(self) -> AsyncIterator[tuple[Any, Any]]:
        cfg = self.config
        if cfg.transport == "stdio":
            from mcp.client.stdio import StdioServerParameters, stdio_client

            assert cfg.command is not None
            params = StdioServerParameters(command=cfg.command, args=list(cfg.args), env=dict(cfg.env) or None)
            async with stdio_client(params, errlog=sys.stderr) as streams:
                yield streams
        elif cfg.transport == "sse":
            from mcp.client.sse import sse_client

            assert cfg.url is not None
            async with sse_client(cfg.url, timeout=cfg.timeout, sse_read_timeout=max(cfg.timeout, 300.0)) as streams:
                yield streams
        else:
            from mcp.client.streamable_http import streamable_http_client

            assert cfg.url is not None
            async with streamable_http_client(cfg.url) as streams:
                yield streams

    async def _handle_request(self, dctx: Dctx, method: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        if method == "ping":
            return {}
        return await self._on_request(self.name, method, params)

    async def _handle_notify(self, dctx: Dctx, method: str, params: Mapping[str, Any] | None) -> None:
        await self._on_notify(self.name, method, params)

    async def _set(self, status: Status, error: str | None = None) -> None:
        self.status, self.error = status, error
        with contextlib.suppress(Exception):
            await self._on_state(self.name, status)

    async def _session(self) -> None:
        from mcp.shared.jsonrpc_dispatcher import JSONRPCDispatcher

        async with self._streams() as (read, write), anyio.create_task_group() as tg:
            dispatcher: JSONRPCDispatcher[TransportContext] = JSONRPCDispatcher(read, write)
            await tg.start(dispatcher.run, self._handle_request, self._handle_notify)
            init = {"protocolVersion": LATEST_HANDSHAKE_VERSION, "capabilities": CLIENT_CAPABILITIES,
                    "clientInfo": {"name": "garrison-gateway", "version": __version__}}
            result = await dispatcher.send_raw_request(
                "initialize", init, {"timeout": max(self.config.timeout, STARTUP_TIMEOUT), "cancel_on_abandon": False})
            await dispatcher.notify("notifications/initialized", None)
            caps, info = result.get("capabilities"), result.get("serverInfo")
            self.capabilities = caps if isinstance(caps, dict) else {}
            self.server_info = info if isinstance(info, dict) else {}
            instructions = result.get("instructions")
            self.instructions = instructions if isinstance(instructions, str) else None
            version = result.get("protocolVersion")
            self.protocol_version = version if isinstance(version, str) else None
            self._dispatcher = dispatcher
            await self._set("up")
            self.ready.set()
        # the read stream ended: the upstream is gone

    async def run(self) -> None:
        """Keep the upstream connected until cancelled."""
        delay = self._backoff[0]
        while True:
            started = self._clock()
            try:
                await self._session()
                error = "the connection ended"
            except Exception as err:
                error = _describe(err)
            except BaseException:
                self._dispatcher = None
                self.status = "stopped"
                raise
            self._dispatcher = None
            if self._clock() - started > 60.0:
                delay = self._backoff[0]
            await self._set("down", f"{error}; retrying in {delay:g} s")
            self.ready.set()
            await anyio.sleep(delay)
            self.restarts += 1
            delay = min(delay * 2, self._backoff[1])
