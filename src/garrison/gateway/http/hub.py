"""The aggregating MCP server behind ``/mcp`` and ``/sse``: many upstreams, one namespace, the wrap chain.

Client requests are served by an SDK low-level ``Server`` whose handlers fan out to, or route to, the shared
upstream sessions. Every message that crosses to an upstream, and every answer that comes back, goes through
the same kind of :class:`~garrison.gateway.interceptors.InterceptorChain` as ``garrison wrap``: one chain
and one :class:`~garrison.gateway.interceptors.SessionState` per (client session, upstream), with the
upstream's *original* names and the client's identity. So a policy, pin or guard interceptor sees exactly
what it sees behind ``garrison wrap``.

Upstream → client traffic: progress for a call is relayed with the client's own token; list_changed
notifications go to every client session; a sampling/elicitation/roots request or a log message is relayed
to the client whose call is in flight on that upstream (refused, or dropped, when several are, since the
upstream's stdio wire does not say which call it belongs to).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.models import InitializationOptions
from mcp.shared.exceptions import MCPError
from mcp.shared.message import ServerMessageMetadata
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, ConfigDict, TypeAdapter

from garrison.gateway.http.config import GatewayConfig
from garrison.gateway.http.naming import Namespace, UriRoutes
from garrison.gateway.http.upstream import Status, Upstream
from garrison.gateway.interceptors import Exchange, InterceptorChain, Outcome, SessionState
from garrison.gateway.messages import (
    CONNECTION_CLOSED,
    INTERNAL_ERROR,
    REQUEST_DENIED,
    REQUEST_TIMEOUT,
    Message,
    error_body,
    result_body,
)

__all__ = ["IDENTITY_SCOPE_KEY", "ChainFactory", "Hub", "ToolVisibility"]

IDENTITY_SCOPE_KEY = "garrison.identity"
INVALID_PARAMS = -32602
MAX_PAGES = 50
MAX_CLIENT_SESSIONS = 10_000
ChainFactory = Callable[[str, str | None], InterceptorChain]
"""``(upstream, identity) -> chain`` for one (client session, upstream) pair: interceptors keep per-session
state, as behind ``garrison wrap``; what they share (a loaded policy, an event sink) is closed over."""
ToolVisibility = Callable[[str | None, str, str], bool]
"""``(identity, upstream, original tool name) -> visible``; a hidden tool is neither listed nor callable."""


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


_SERVER_REQUEST: TypeAdapter[Any] = TypeAdapter(types.ServerRequest)
_SERVER_NOTIFICATION: TypeAdapter[Any] = TypeAdapter(types.ServerNotification)
LIST_CHANGED = frozenset({"notifications/tools/list_changed", "notifications/prompts/list_changed",
                          "notifications/resources/list_changed"})


class _GatewayServer(Server[Any]):
    """Advertises ``listChanged`` for tools, prompts and resources: upstream changes are relayed."""

    def create_initialization_options(self, notification_options: NotificationOptions | None = None,
                                      experimental_capabilities: dict[str, dict[str, Any]] | None = None,
                                      extensions: dict[str, dict[str, Any]] | None = None) -> InitializationOptions:
        changes = notification_options or NotificationOptions(True, True, True)
        return super().create_initialization_options(changes, experimental_capabilities, extensions)


@dataclass(slots=True)
class _Client:
    """One client session; ``legs`` holds, per upstream, the relayed session's state and its own chain."""

    identity: str | None
    session: Any = None
    legs: dict[str, tuple[SessionState, InterceptorChain]] = field(default_factory=dict)


ENVELOPE_PREFIX = "io.modelcontextprotocol/"
_CACHEABLE = frozenset({"tools/list", "prompts/list", "resources/list", "resources/templates/list",
                        "resources/read", "prompts/get"})


def upstream_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` without the 2026-era per-request envelope in ``_meta``: upstream sessions are opened with
    the ``initialize`` handshake, and a handshake-era server refuses enveloped requests."""
    out = dict(params)
    meta = out.get("_meta")
    if isinstance(meta, Mapping) and any(str(k).startswith(ENVELOPE_PREFIX) for k in meta):
        kept = {k: v for k, v in meta.items() if not str(k).startswith(ENVELOPE_PREFIX)}
        if kept:
            out["_meta"] = kept
        else:
            del out["_meta"]
    return out


def for_client(method: str, version: str, result: dict[str, Any]) -> dict[str, Any]:
    """A handshake-era upstream result shaped for the client's era: 2026-era results carry ``resultType``
    and, for cacheable methods, ``ttlMs``/``cacheScope`` (never cached: each identity may see different
    tools)."""
    if version not in MODERN_PROTOCOL_VERSIONS:
        return result
    out = {"resultType": "complete", **result}
    if method in _CACHEABLE:
        out = {"ttlMs": 0, "cacheScope": "private", **out}
    return out


def _list(result: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    items = result.get(key)
    return [dict(i) for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


class Hub:
    def __init__(self, config: GatewayConfig, chains: ChainFactory, *,
                 visibility: ToolVisibility | None = None, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.chains = chains
        self.visibility = visibility
        self.clock = clock
        self.namespace = Namespace({u.name: u.prefix for u in config.upstreams})
        self.uris = UriRoutes()
        self.upstreams = {u.name: Upstream(u, on_request=self._upstream_request, on_notify=self._upstream_notify,
                                           on_state=self._upstream_state) for u in config.upstreams}
        self.clients: dict[str, _Client] = {}
        self.inflight: dict[str, list[Any]] = {name: [] for name in self.upstreams}
        self.subscribers: dict[tuple[str, str], set[str]] = {}
        """(upstream, resource URI) → client session keys subscribed to it."""
        self._ids = itertools.count(1)

    # -- client sessions ------------------------------------------------------------------------------
    def _client(self, ctx: Any) -> tuple[str, _Client]:
        request = ctx.request
        scope = getattr(request, "scope", {}) or {}
        identity = scope.get(IDENTITY_SCOPE_KEY)
        headers = getattr(request, "headers", {}) or {}
        key = headers.get("mcp-session-id") or getattr(request, "query_params", {}).get("session_id")
        if not key:  # a stateless request (2026 era): nothing to keep between requests
            return f"request-{next(self._ids)}", _Client(identity, ctx.session)
        client = self.clients.get(key)
        if client is None or client.identity != identity:
            while len(self.clients) >= MAX_CLIENT_SESSIONS:
                self.clients.pop(next(iter(self.clients)))
            client = self.clients[key] = _Client(identity)
        client.session = ctx.session
        return key, client

    def _leg(self, client: _Client, server: str, ctx: Any = None) -> tuple[SessionState, InterceptorChain]:
        """The (client session, upstream) pair as ``garrison wrap`` would see it: its state and its chain."""
        leg = client.legs.get(server)
        if leg is None:
            leg = client.legs[server] = (SessionState(server=server, identity=client.identity),
                                         self.chains(server, client.identity))
        state = leg[0]
        if ctx is not None:
            params = ctx.session.client_params
            if state.client_info is None and params is not None and params.client_info is not None:
                state.client_info = params.client_info.model_dump(by_alias=True, exclude_none=True)
            caps = ctx.session.client_capabilities
            if state.client_capabilities is None and caps is not None:
                state.client_capabilities = caps.model_dump(by_alias=True, exclude_none=True)
            state.protocol_version = ctx.protocol_version
        upstream = self.upstreams[server]
        state.server_info = upstream.server_info or None
        state.instructions = upstream.instructions
        return leg

    def visible(self, identity: str | None, server: str, tool: str) -> bool:
        return self.visibility is None or self.visibility(identity, server, tool)

    # -- one request through the chain to one upstream ----------------------------------------------
    async def forward(self, ctx: Any, server: str, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        _, client = self._client(ctx)
        state, chain = self._leg(client, server, ctx)
        rid = next(self._ids)
        request = Message({"jsonrpc": "2.0", "id": rid, "method": method, "params": upstream_params(params)},
                          at=self.clock())
        verdict = chain.client_request(request, state)
        if verdict.reply is not None:
            reply = Message(verdict.reply, at=self.clock())
            chain.complete(Exchange(request, reply, "replied", verdict.decisions), state)
            return self._unwrap(reply)
        sent = verdict.forward
        assert sent is not None
        if verdict.ask is not None and not await self._approved(ctx, server, verdict.ask):
            reason = "; ".join(str(d.reason) for d in verdict.decisions if d.action == "ask")
            reply = Message(error_body(rid, REQUEST_DENIED, f"not approved at the client: {reason}",
                                       {"server": server}), at=self.clock())
            chain.complete(Exchange(request, reply, "replied", verdict.decisions), state)
            return self._unwrap(reply)
        meta = sent.params.get("_meta")
        token = meta.get("progressToken") if isinstance(meta, Mapping) else None
        on_progress = None
        if isinstance(token, int | str) and not isinstance(token, bool):
            session, related = ctx.session, ctx.request_id

            async def on_progress(progress: float, total: float | None, message: str | None) -> None:
                await session.send_progress_notification(token, progress, total, message, related_request_id=related)

        upstream = self.upstreams[server]
        calls = self.inflight[server]
        calls.append(ctx)
        try:
            result = await upstream.request(sent.method or method, sent.params, on_progress=on_progress)
        except MCPError as err:
            error = err.error
            code = error.code
            outcome: Outcome = ("timeout" if code == REQUEST_TIMEOUT else
                                "upstream_closed" if code == CONNECTION_CLOSED else "forwarded")
            body = {"jsonrpc": "2.0", "id": rid,
                    "error": error.model_dump(by_alias=True, mode="json", exclude_none=True)}
            response = Message(body, at=self.clock())
            if outcome == "forwarded":
                checked = chain.server_response(sent, response, state)
                assert checked.forward is not None
                decisions = verdict.decisions + checked.decisions
                chain.complete(Exchange(sent, checked.forward, outcome, decisions), state)
                return self._unwrap(checked.forward)
            chain.complete(Exchange(sent, response, outcome, verdict.decisions), state)
            raise
        finally:
            calls.remove(ctx)
        response = Message(result_body(rid, result), at=self.clock())
        checked = chain.server_response(sent, response, state)
        final = checked.forward
        assert final is not None
        outcome = "rewritten" if final is not response else "forwarded"
        chain.complete(Exchange(sent, final, outcome, verdict.decisions + checked.decisions), state)
        if method == "tools/list" and final.result is not None:
            names = frozenset(str(t.get("name")) for t in _list(final.result, "tools"))
            state.tools_listed = (state.tools_listed | names) if "cursor" in params else names
        return self._unwrap(final)

    async def _approved(self, ctx: Any, server: str, ask: Mapping[str, Any]) -> bool:
        """Ask the person at the client (``elicitation/create``); only an explicit accept approves."""
        if ctx.session.client_capabilities is None or ctx.session.client_capabilities.elicitation is None:
            return False
        try:
            typed = _SERVER_REQUEST.validate_python({"method": "elicitation/create", "params": dict(ask)})
            answer = await ctx.session.send_request(
                typed, _Loose, request_read_timeout_seconds=self.upstreams[server].config.timeout,
                metadata=ServerMessageMetadata(related_request_id=ctx.request_id))
        except Exception:
            return False
        return bool(getattr(answer, "action", None) == "accept")

    @staticmethod
    def _unwrap(message: Message) -> dict[str, Any]:
        error = message.body.get("error")
        if isinstance(error, Mapping):
            data = error.get("data")
            raise MCPError(int(error.get("code", INTERNAL_ERROR)), str(error.get("message", "")), data)
        result = message.result
        return dict(result) if result is not None else {}

    # -- aggregated listings --------------------------------------------------------------------------
    def _serving(self, capability: str) -> list[str]:
        return [name for name, u in self.upstreams.items() if u.status == "up" and capability in u.capabilities]

    async def _gather(self, ctx: Any, capability: str, method: str, key: str) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}

        async def one(server: str) -> None:
            items: list[dict[str, Any]] = []
            params: dict[str, Any] = {}
            for _ in range(MAX_PAGES):
                try:
                    page = await self.forward(ctx, server, method, params)
                except MCPError:
                    return  # a failing upstream's entries disappear; the others are still listed
                items.extend(_list(page, key))
                cursor = page.get("nextCursor")
                if not isinstance(cursor, str) or not cursor:
                    break
                params = {"cursor": cursor}
            found[server] = items

        async with anyio.create_task_group() as tg:
            for server in self._serving(capability):
                tg.start_soon(one, server)
        return {s: found[s] for s in self.upstreams if s in found}

    async def list_named(self, ctx: Any, capability: str, method: str, key: str) -> dict[str, Any]:
        _, client = self._client(ctx)
        out: list[dict[str, Any]] = []
        for server, items in (await self._gather(ctx, capability, method, key)).items():
            for item in items:
                name = str(item.get("name", ""))
                if key == "tools" and not self.visible(client.identity, server, name):
                    continue
                public = self.namespace.public(server, name)
                if public is not None:
                    out.append({**item, "name": public})
        return {key: out}

    async def list_resources(self, ctx: Any, method: str, key: str) -> dict[str, Any]:
        out: list[dict[str, Any]] = []
        for server, items in (await self._gather(ctx, "resources", method, key)).items():
            field_name = "uri" if key == "resources" else "uriTemplate"
            values = [str(i.get(field_name, "")) for i in items]
            learned = self.uris.learn(server, values) if key == "resources" else self.uris.learn(server, (), values)
            clashes = set(learned)
            out.extend(i for i, v in zip(items, values, strict=True) if v not in clashes)
        return {key: out}

    # -- routed requests ------------------------------------------------------------------------------
    def route_name(self, ctx: Any, public: str, tool: bool) -> tuple[str, str]:
        _, client = self._client(ctx)
        routed = self.namespace.route(public)
        if routed is None or (tool and not self.visible(client.identity, *routed)):
            kind = "tool" if tool else "prompt"
            raise MCPError(INVALID_PARAMS, f"unknown {kind} {public!r}", {"name": public})
        return routed

    def route_uri(self, uri: str) -> str:
        server = self.uris.route(uri)
        if server is None and len(self.upstreams) == 1:
            server = next(iter(self.upstreams))
        if server is None:
            raise MCPError(INVALID_PARAMS, f"unknown resource {uri!r} (list resources first)", {"uri": uri})
        return server

    async def call_named(self, ctx: Any, method: str, tool: bool) -> dict[str, Any]:
        params = dict(ctx.params or {})
        server, name = self.route_name(ctx, str(params.get("name", "")), tool)
        return await self.forward(ctx, server, method, {**params, "name": name})

    async def call_uri(self, ctx: Any, method: str) -> dict[str, Any]:
        params = dict(ctx.params or {})
        uri = str(params.get("uri", ""))
        server = self.route_uri(uri)
        result = await self.forward(ctx, server, method, params)
        if method in ("resources/subscribe", "resources/unsubscribe"):
            key, _ = self._client(ctx)
            keys = self.subscribers.setdefault((server, uri), set())
            if method == "resources/subscribe":
                keys.add(key)
            else:
                keys.discard(key)
        return result

    async def complete(self, ctx: Any) -> dict[str, Any]:
        params = dict(ctx.params or {})
        ref = params.get("ref")
        ref = dict(ref) if isinstance(ref, Mapping) else {}
        if ref.get("type") == "ref/prompt":
            server, name = self.route_name(ctx, str(ref.get("name", "")), tool=False)
            return await self.forward(ctx, server, "completion/complete", {**params, "ref": {**ref, "name": name}})
        return await self.forward(ctx, self.route_uri(str(ref.get("uri", ""))), "completion/complete", params)

    async def set_level(self, ctx: Any) -> dict[str, Any]:
        params = dict(ctx.params or {})
        for server in self._serving("logging"):
            try:
                await self.forward(ctx, server, "logging/setLevel", params)
            except MCPError:
                continue
        return {}

    # -- upstream → client ----------------------------------------------------------------------------
    def _caller(self, server: str) -> Any | None:
        calls = self.inflight[server]
        return calls[0] if len(calls) == 1 else None

    async def _upstream_request(self, server: str, method: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        ctx = self._caller(server)
        if ctx is None:
            raise MCPError(INTERNAL_ERROR, f"gateway cannot tell which client {method!r} from upstream {server!r} "
                           "is for (no single call in flight)")
        _, client = self._client(ctx)
        state, chain = self._leg(client, server, ctx)
        msg = Message({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": dict(params or {})},
                      at=self.clock())
        verdict = chain.server_request(msg, state)
        if verdict.reply is not None:
            return self._unwrap(Message(verdict.reply))
        sent = verdict.forward
        assert sent is not None
        typed = _SERVER_REQUEST.validate_python({"method": sent.method, "params": dict(sent.params)})
        result = await ctx.session.send_request(typed, _Loose,
                                                metadata=ServerMessageMetadata(related_request_id=ctx.request_id))
        dumped: dict[str, Any] = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        return dumped

    async def _upstream_notify(self, server: str, method: str, params: Mapping[str, Any] | None) -> None:
        """Relay one upstream notification, through the chain, to the client sessions it concerns."""
        body = dict(params or {})
        targets: list[tuple[_Client, Any]] = []
        if method in LIST_CHANGED:
            if method == "notifications/resources/list_changed":
                self.uris.forget(server)
            targets = [(c, None) for c in self.clients.values()]
        elif method == "notifications/resources/updated":
            keys = self.subscribers.get((server, str(body.get("uri", ""))), set())
            targets = [(self.clients[k], None) for k in keys if k in self.clients]
        elif method == "notifications/message":
            ctx = self._caller(server)  # a log line is for the call in flight; with none or several, dropped
            if ctx is not None:
                targets = [(self._client(ctx)[1], ctx.request_id)]
        for client, related in targets:
            state, chain = self._leg(client, server)
            msg = Message({"jsonrpc": "2.0", "method": method, "params": body}, at=self.clock())
            verdict = chain.server_notification(msg, state)
            if verdict.forward is None or client.session is None:
                continue
            try:
                typed = _SERVER_NOTIFICATION.validate_python({"method": verdict.forward.method,
                                                              "params": dict(verdict.forward.params)})
                await client.session.send_notification(typed, related_request_id=related)
            except Exception:  # noqa: S112 - a client that has gone must not stop the others
                continue

    async def _upstream_state(self, server: str, status: Status) -> None:
        if status == "down":
            self.uris.forget(server)
        if status in ("up", "down") and self.upstreams[server].restarts + (status == "down") > 0:
            await self._upstream_notify(server, "notifications/tools/list_changed", None)

    # -- the SDK server -------------------------------------------------------------------------------
    def server(self) -> Server[Any]:
        from garrison import __version__

        server: Server[Any] = _GatewayServer("garrison-gateway", version=__version__,
                                     instructions="Garrison gateway: tools and prompts are named <server>__<name>.")

        def handler(method: str, fn: Callable[[Any], Any]) -> Any:
            async def handle(ctx: Any, params: Any) -> dict[str, Any]:
                return for_client(method, ctx.protocol_version, await fn(ctx))
            return handle

        routes: dict[str, Callable[[Any], Any]] = {
            "tools/list": lambda ctx: self.list_named(ctx, "tools", "tools/list", "tools"),
            "tools/call": lambda ctx: self.call_named(ctx, "tools/call", tool=True),
            "prompts/list": lambda ctx: self.list_named(ctx, "prompts", "prompts/list", "prompts"),
            "prompts/get": lambda ctx: self.call_named(ctx, "prompts/get", tool=False),
            "resources/list": lambda ctx: self.list_resources(ctx, "resources/list", "resources"),
            "resources/templates/list": lambda ctx: self.list_resources(ctx, "resources/templates/list",
                                                                        "resourceTemplates"),
            "resources/read": lambda ctx: self.call_uri(ctx, "resources/read"),
            "resources/subscribe": lambda ctx: self.call_uri(ctx, "resources/subscribe"),
            "resources/unsubscribe": lambda ctx: self.call_uri(ctx, "resources/unsubscribe"),
            "completion/complete": self.complete,
            "logging/setLevel": self.set_level,
        }
        for method, fn in routes.items():
            server.add_request_handler(method, types.RequestParams, handler(method, fn))
        return server
