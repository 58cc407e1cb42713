"""The gateway's HTTP edge: checks on every request, then ``/mcp``, ``/sse`` + ``/messages/`` and ``/healthz``.

Order of checks, for every path: body size (413, before anything is parsed), ``Host`` (421) and ``Origin``
(403) against the allowed lists (DNS-rebinding protection), then, except for ``/healthz``, the bearer token
(401). Tokens are compared in constant time against every configured client; the matching identity is put on
the request (and into the SDK's session-owner check, so one identity cannot use another's session id).
"""

from __future__ import annotations

import contextlib
import hmac
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import orjson
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.sse import SseServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import RequestBodyLimitMiddleware, TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from garrison.gateway.http.config import GatewayConfig
from garrison.gateway.http.hub import IDENTITY_SCOPE_KEY, Hub

__all__ = ["HEALTH_PATH", "Guard", "build_app", "host_allowed", "origin_allowed"]

HEALTH_PATH = "/healthz"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
STARTUP_WAIT = 30.0
_OPAQUE = "bearer"
"""Stands in for the token in the SDK's session-owner record; the owner is compared by identity only."""


def _matches(value: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        if value == pattern:
            return True
        if pattern.endswith(":*") and value.startswith(pattern[:-1]) and value[len(pattern) - 1:].isdigit():
            return True
    return False


def allowed_hosts(config: GatewayConfig) -> tuple[str, ...]:
    if config.allowed_hosts:
        return config.allowed_hosts
    host = f"[{config.host}]" if ":" in config.host else config.host
    if config.host in LOOPBACK:
        return ("127.0.0.1:*", "localhost:*", "[::1]:*")
    return (f"{host}:{config.port}",)


def allowed_origins(config: GatewayConfig) -> tuple[str, ...]:
    if config.allowed_origins:
        return config.allowed_origins
    return ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")


def host_allowed(host: str | None, patterns: tuple[str, ...]) -> bool:
    return bool(host) and _matches(str(host), patterns)


def origin_allowed(origin: str | None, patterns: tuple[str, ...]) -> bool:
    return origin is None or _matches(origin, patterns)


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return Response(text + "\n", status_code=status, media_type="text/plain", headers=headers)


class Guard:
    """ASGI middleware for Host, Origin and bearer-token checks."""

    def __init__(self, app: ASGIApp, config: GatewayConfig) -> None:
        self.app = app
        self.hosts = allowed_hosts(config)
        self.origins = allowed_origins(config)
        self.tokens = [(c.token.encode(), c.identity) for c in config.clients]
        self.anonymous = config.unsafe_allow_anonymous

    def identify(self, header: str | None) -> str | None:
        """The identity whose token is in ``Authorization: Bearer …``; every token is compared, in constant time."""
        if not header or not header[:7].lower() == "bearer ":
            return None
        given = header[7:].strip().encode()
        found: str | None = None
        for token, identity in self.tokens:
            if hmac.compare_digest(given, token):
                found = identity
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if not host_allowed(headers.get("host"), self.hosts):
            await _plain(421, "Invalid Host header")(scope, receive, send)
            return
        if not origin_allowed(headers.get("origin"), self.origins):
            await _plain(403, "Invalid Origin header")(scope, receive, send)
            return
        if scope["path"] != HEALTH_PATH:
            identity = self.identify(headers.get("authorization"))
            if identity is None and not (self.anonymous and "authorization" not in headers):
                await _plain(401, "Unauthorized: a valid bearer token is required",
                             {"WWW-Authenticate": 'Bearer realm="garrison"'})(scope, receive, send)
                return
            scope = dict(scope)
            scope[IDENTITY_SCOPE_KEY] = identity
            if identity is not None:
                scope["user"] = AuthenticatedUser(AccessToken(token=_OPAQUE, client_id=identity, scopes=[]))
        await self.app(scope, receive, send)


def build_app(config: GatewayConfig, hub: Hub) -> ASGIApp:
    """The whole gateway as one ASGI app; its lifespan starts and stops the upstreams."""
    server = hub.server()
    off = TransportSecuritySettings(enable_dns_rebinding_protection=False)  # the Guard checks Host/Origin
    manager = StreamableHTTPSessionManager(app=server, security_settings=off,
                                           max_request_body_size=config.max_body_bytes)
    sse = SseServerTransport("/messages/", security_settings=off, max_request_body_size=config.max_body_bytes)

    async def sse_endpoint(request: Request) -> Response:
        async with sse.connect_sse(request.scope, request.receive, request._send) as (read, write):
            await server.run(read, write, server.create_initialization_options())
        return Response()

    async def health(request: Request) -> Response:
        upstreams = {name: u.health() for name, u in hub.upstreams.items()}
        ok = all(u["status"] == "up" for u in upstreams.values())
        body = {"status": "ok" if ok else "degraded", "upstreams": upstreams}
        return Response(orjson.dumps(body), status_code=200 if ok else 503, media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tg:
            for upstream in hub.upstreams.values():
                tg.start_soon(upstream.run)
            with anyio.move_on_after(STARTUP_WAIT):
                for upstream in hub.upstreams.values():
                    await upstream.ready.wait()
            async with manager.run():
                yield
            tg.cancel_scope.cancel()

    app = Starlette(routes=[
        Route("/mcp", endpoint=StreamableHTTPASGIApp(manager), methods=["GET", "POST", "DELETE"]),
        Route("/sse", endpoint=sse_endpoint, methods=["GET"]),
        Mount("/messages/", app=sse.handle_post_message),
        Route(HEALTH_PATH, endpoint=health, methods=["GET"]),
    ], lifespan=lifespan)
    return RequestBodyLimitMiddleware(Guard(app, config), config.max_body_bytes)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


async def serve(app: ASGIApp, sock: socket.socket, *, on_ready: Callable[[int], Any] | None = None) -> None:
    """Serve ``app`` on an already-bound socket until cancelled."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        while not server.started:
            if server.should_exit:
                return
            await anyio.sleep(0.01)
        if on_ready is not None:
            on_ready(sock.getsockname()[1])
