"""The stdio relay behind ``garrison wrap`` (the edge: a child process, two pipes and a clock).

The MCP client launches ``garrison wrap -- COMMAND ARGS…`` in place of the server. The relay starts the
server as a child with the client's own environment and stderr, then copies newline-delimited JSON-RPC
both ways. Each frame is parsed once (orjson) to learn its kind, ``id`` and ``method``; the
:class:`~garrison.gateway.interceptors.InterceptorChain` decides; unchanged frames go on as the original
bytes. Everything protocol-level (both MCP eras, progress, cancellation, server→client requests) passes
because nothing is re-serialised unless an interceptor asks.

Limits (see :class:`~garrison.gateway.limits.Limits`): frames over ``max_frame_bytes`` are never buffered
(an oversize request is refused, an oversize response is replaced by an error); a request unanswered after
``request_timeout`` gets a timeout error and the server a cancellation; a frame that is not JSON-RPC gets a
-32700/-32600 error back to its sender. If the server exits, every request in flight is answered with a
connection-closed error at once and the relay returns ``INCOMPLETE`` (3); if the client hangs up, the
server's stdin is closed, it is given ``shutdown_grace`` to exit, then terminated, then killed.

The relay can also speak for itself, with request ids of its own (``garrison-N``) whose answers it keeps:

* **List refresh** (``refresh_lists``, used by pin enforcement): in handshake-era sessions the relay lists
  every kind the server announced once the client sends ``notifications/initialized``, and a
  ``notifications/*/list_changed`` from the server makes it list that kind again at once. In both eras a
  ``tools/call``, ``prompts/get`` or ``resources/read`` that arrives while its list is unseen or announced as
  changed is held until a fresh list has gone through the chain (at most ``REFRESH_TIMEOUT`` seconds); in the
  2026-07-28 era the relay's list request carries the held request's protocol envelope (``_meta``).
  The client never sees these requests or their answers.
* **Asking a person**: when an interceptor returns ``Decision.ask``, the relay sends ``elicitation/create``
  to the client and holds the request; accepted within ``approval_timeout`` → forwarded, otherwise refused
  (:mod:`garrison.gateway.approval`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from garrison.errors import ServerLaunchError, UsageError
from garrison.gateway.approval import approval_outcome, refusal_body
from garrison.gateway.frames import FrameSplitter, Oversize, scan_head
from garrison.gateway.interceptors import Decision, Exchange, InterceptorChain, Outcome, SessionState
from garrison.gateway.limits import Limits
from garrison.gateway.messages import (
    CONNECTION_CLOSED,
    INTERNAL_ERROR,
    INVALID_REQUEST,
    REQUEST_TIMEOUT,
    InvalidMessage,
    Message,
    error_body,
    parse_frame,
)

__all__ = ["CLIENT_CLOSED", "SERVER_ENDED", "run_relay"]

CLIENT_CLOSED = 0
"""Exit status when the client hung up (or a signal asked us to stop): a normal end."""
SERVER_ENDED = 3
"""Exit status when the server ended while the client was still connected (``INCOMPLETE``)."""

Notice = Callable[[str], None]
RequestId = int | str

REFRESH_TIMEOUT = 10.0
"""Seconds the relay waits for the server to answer a list refresh of its own."""
MAX_REFRESH_PAGES = 100
MAX_HELD = 1000
"""Client requests held at once while lists are refreshed; more are refused."""
_OWN_PREFIX = "garrison-"
_LISTS_FOR_CALL = {
    "tools/call": ("tools/list",),
    "prompts/get": ("prompts/list",),
    "resources/read": ("resources/list", "resources/templates/list"),
}
_LISTS_CHANGED = {
    "notifications/tools/list_changed": ("tools/list",),
    "notifications/prompts/list_changed": ("prompts/list",),
    "notifications/resources/list_changed": ("resources/list", "resources/templates/list"),
}
_CAPABILITY_OF_LIST = {"tools/list": "tools", "prompts/list": "prompts", "resources/list": "resources",
                       "resources/templates/list": "resources"}


_ENVELOPE = "io.modelcontextprotocol/"
_NOT_ENVELOPE = frozenset({"io.modelcontextprotocol/subscriptionId"})


def _handshake_era(version: str | None) -> bool:
    """Sessions negotiated with ``initialize`` (protocol versions before 2026-07-28)."""
    return version is not None and version < "2026-"


def _envelope(msg: Message) -> dict[str, Any] | None:
    """The per-request protocol envelope of a 2026-07-28-era request (``_meta`` version, client info and
    capabilities), to send the relay's own requests in the same session; ``None`` if it has none."""
    meta = msg.params.get("_meta")
    if not isinstance(meta, dict) or f"{_ENVELOPE}protocolVersion" not in meta:
        return None
    return {k: v for k, v in meta.items() if k.startswith(_ENVELOPE) and k not in _NOT_ENVELOPE}


class _PipeSink(asyncio.Protocol):
    """Write side of our stdout with flow control."""

    def __init__(self) -> None:
        self._resume = asyncio.Event()
        self._resume.set()
        self.closed = False

    def pause_writing(self) -> None:
        self._resume.clear()

    def resume_writing(self) -> None:
        self._resume.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._resume.set()

    async def drain(self) -> None:
        await self._resume.wait()


@dataclass(slots=True)
class _Pending:
    request: Message
    decisions: tuple[Decision, ...]
    timer: asyncio.TimerHandle | None = None
    cancelled: bool = False
    progress_token: Any = None


@dataclass(slots=True)
class _Own:
    """A request the relay sent itself; ``done`` gets the answer, or ``None`` on timeout or hang-up."""

    done: Callable[[Message | None], None]
    timer: asyncio.TimerHandle | None = None


@dataclass(slots=True)
class _Relay:
    proc: asyncio.subprocess.Process
    out: asyncio.WriteTransport
    sink: _PipeSink
    chain: InterceptorChain
    session: SessionState
    limits: Limits
    clock: Callable[[], float]
    notice: Notice
    pending: dict[RequestId, _Pending] = field(default_factory=dict)
    progress: dict[Any, RequestId] = field(default_factory=dict)
    server_pending: set[RequestId] = field(default_factory=set)
    stopping: bool = False
    refresh_lists: bool = False
    approval_timeout: float = 120.0
    own_server: dict[RequestId, _Own] = field(default_factory=dict)
    own_client: dict[RequestId, _Own] = field(default_factory=dict)
    own_count: int = 0
    stale: set[str] = field(default_factory=lambda: set(_CAPABILITY_OF_LIST))
    """Lists not seen yet in this session, or announced as changed."""
    refreshing: set[str] = field(default_factory=set)
    held: list[Message] = field(default_factory=list)
    asking: set[RequestId] = field(default_factory=set)
    server_capabilities: Any = None

    # -- writing -------------------------------------------------------------------------------------
    def to_client(self, data: bytes) -> None:
        if not self.sink.closed:
            self.out.write(data)

    def to_server(self, data: bytes) -> None:
        stdin = self.proc.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.write(data)

    async def drain(self) -> None:
        await self.sink.drain()
        stdin = self.proc.stdin
        if stdin is not None and not stdin.is_closing():
            with contextlib.suppress(ConnectionError):
                await stdin.drain()

    def reply_client(self, body: dict[str, Any]) -> Message:
        message = Message(body=body, at=self.clock())
        self.to_client(message.frame())
        return message

    def reply_server(self, body: dict[str, Any]) -> None:
        self.to_server(Message(body=body).frame())

    # -- pending client requests ---------------------------------------------------------------------
    def arm(self, key: RequestId) -> None:
        entry = self.pending[key]
        if entry.timer is not None:
            entry.timer.cancel()
        loop = asyncio.get_running_loop()
        entry.timer = loop.call_later(self.limits.request_timeout, self.expire, key)

    def settle(self, key: RequestId) -> _Pending | None:
        entry = self.pending.pop(key, None)
        if entry is not None:
            if entry.timer is not None:
                entry.timer.cancel()
            if entry.progress_token is not None:
                self.progress.pop(entry.progress_token, None)
        return entry

    def finish(self, entry: _Pending, response: Message | None, outcome: Outcome,
               extra: tuple[Decision, ...] = ()) -> None:
        self.chain.complete(Exchange(entry.request, response, outcome, entry.decisions + extra), self.session)

    def expire(self, key: RequestId) -> None:
        entry = self.settle(key)
        if entry is None:
            return
        method = entry.request.method
        self.reply_server({"jsonrpc": "2.0", "method": "notifications/cancelled",
                           "params": {"requestId": key, "reason": "gateway request timeout"}})
        if entry.cancelled:
            return
        limit = self.limits.request_timeout
        text = f"server {self.session.server!r} did not answer {method!r} within {limit:g} s"
        self.notice(text)
        response = self.reply_client(error_body(key, REQUEST_TIMEOUT, text, {"server": self.session.server}))
        self.finish(entry, response, "timeout")

    def fail_all(self, text: str) -> None:
        for table in (self.own_server, self.own_client):
            for key in list(table):
                self.own_answered(table, key, None)
        for key in list(self.pending):
            entry = self.settle(key)
            if entry is None or entry.cancelled:
                continue
            body = error_body(key, CONNECTION_CLOSED, text, {"server": self.session.server})
            response = self.reply_client(body)
            self.finish(entry, response, "upstream_closed")

    # -- client → server -----------------------------------------------------------------------------
    def client_frame(self, frame: bytes | Oversize) -> None:
        if isinstance(frame, Oversize):
            self.client_oversize(frame)
            return
        try:
            msg = parse_frame(frame, self.clock())
        except InvalidMessage as err:
            self.notice(f"client sent an invalid message: {err.message}")
            self.to_client(Message(error_body(err.request_id, err.code, err.message)).frame())
            return
        kind = msg.kind
        if kind == "request":
            self.client_request(msg)
        elif kind == "notification":
            if msg.method == "notifications/cancelled":
                target = msg.params.get("requestId")
                entry = self.pending.get(target) if isinstance(target, int | str) else None
                if entry is not None:
                    entry.cancelled = True
                self.held = [m for m in self.held if m.id != target]
            verdict = self.chain.client_notification(msg, self.session)
            if verdict.forward is not None:
                self.to_server(verdict.forward.frame())
            if msg.method == "notifications/initialized":
                self.prefetch_lists()
        else:
            key = msg.id
            if key is not None and key in self.own_client:
                self.own_answered(self.own_client, key, msg)
                return
            if key is None or key not in self.server_pending:
                self.notice(f"dropped a client response to unknown server request id {key!r}")
                return
            self.server_pending.discard(key)
            self.to_server(msg.frame())

    def client_request(self, msg: Message) -> None:
        key = msg.id
        assert key is not None
        if key in self.pending or key in self.asking or key in self.own_server:
            self.to_client(Message(error_body(key, INVALID_REQUEST,
                                              f"request id {key!r} is already in flight")).frame())
            return
        if msg.method == "initialize":
            if isinstance(msg.params.get("clientInfo"), dict):
                self.session.client_info = msg.params["clientInfo"]
            if isinstance(msg.params.get("capabilities"), dict):
                self.session.client_capabilities = msg.params["capabilities"]
        if self.hold_for_lists(msg):
            return
        verdict = self.chain.client_request(msg, self.session)
        if verdict.reply is not None:
            response = self.reply_client(dict(verdict.reply))
            entry = _Pending(msg, ())
            self.finish(entry, response, "replied", verdict.decisions)
            return
        forward = verdict.forward
        assert forward is not None
        if verdict.ask is not None:
            self.ask_client(msg, forward, verdict.ask, verdict.decisions)
            return
        self.forward_request(forward, verdict.decisions)

    def forward_request(self, forward: Message, decisions: tuple[Decision, ...]) -> None:
        key = forward.id
        assert key is not None
        entry = _Pending(forward, decisions)
        meta = forward.params.get("_meta")
        token = meta.get("progressToken") if isinstance(meta, dict) else None
        if isinstance(token, int | str) and token not in self.progress:
            entry.progress_token = token
            self.progress[token] = key
        self.pending[key] = entry
        self.arm(key)
        self.to_server(forward.frame())

    # -- requests of the relay's own ----------------------------------------------------------------
    def originate(self, to_server: bool, method: str, params: Mapping[str, Any],
                  done: Callable[[Message | None], None], timeout: float) -> Message:
        """Send a request with an id of the relay's own; ``done`` gets its answer (never forwarded)."""
        table = self.own_server if to_server else self.own_client
        while True:
            self.own_count += 1
            key = f"{_OWN_PREFIX}{self.own_count}"
            if key not in self.pending and key not in self.server_pending:
                break
        msg = Message({"jsonrpc": "2.0", "id": key, "method": method, "params": dict(params)}, at=self.clock())
        entry = _Own(done)
        table[key] = entry
        entry.timer = asyncio.get_running_loop().call_later(timeout, self.own_expired, table, key, to_server)
        (self.to_server if to_server else self.to_client)(msg.frame())
        return msg

    def own_expired(self, table: dict[RequestId, _Own], key: RequestId, to_server: bool) -> None:
        if key in table:
            cancel = Message({"jsonrpc": "2.0", "method": "notifications/cancelled",
                              "params": {"requestId": key, "reason": "gateway request timeout"}})
            (self.to_server if to_server else self.to_client)(cancel.frame())
            self.own_answered(table, key, None)

    def own_answered(self, table: dict[RequestId, _Own], key: RequestId, msg: Message | None) -> None:
        entry = table.pop(key, None)
        if entry is None:
            return
        if entry.timer is not None:
            entry.timer.cancel()
        entry.done(msg)

    # -- list refresh (pins) -------------------------------------------------------------------------
    def lists_needed(self, msg: Message, envelope: dict[str, Any] | None) -> tuple[str, ...]:
        if not self.refresh_lists or msg.method not in _LISTS_FOR_CALL:
            return ()
        if not _handshake_era(self.session.protocol_version) and envelope is None:
            return ()
        capabilities = self.server_capabilities if isinstance(self.server_capabilities, dict) else {}
        return tuple(m for m in _LISTS_FOR_CALL[msg.method]
                     if (m in self.stale or m in self.refreshing) and _CAPABILITY_OF_LIST[m] in capabilities)

    def hold_for_lists(self, msg: Message) -> bool:
        envelope = _envelope(msg)
        needed = self.lists_needed(msg, envelope)
        if not needed:
            return False
        if len(self.held) >= MAX_HELD:
            self.to_client(Message(error_body(msg.id, INTERNAL_ERROR, "too many requests waiting for the "
                                              "gateway to re-check the server's lists")).frame())
            return True
        for method in needed:
            if method not in self.refreshing:
                self.refresh(method, envelope=envelope)
        self.held.append(msg)
        return True

    def refresh(self, method: str, cursor: str | None = None, page: int = 0,
                envelope: dict[str, Any] | None = None) -> None:
        self.stale.discard(method)
        self.refreshing.add(method)
        sent: list[Message] = []
        params: dict[str, Any] = {"cursor": cursor} if cursor else {}
        if envelope is not None:
            params["_meta"] = envelope

        def done(response: Message | None) -> None:
            if response is not None and sent:
                self.chain.server_response(sent[0], response, self.session)
            result = response.result if response is not None else None
            following = result.get("nextCursor") if result is not None else None
            if isinstance(following, str) and following and page + 1 < MAX_REFRESH_PAGES:
                self.refresh(method, following, page + 1, envelope)
                return
            if response is None or result is None:
                self.notice(f"server {self.session.server!r} did not answer the gateway's {method!r}")
            self.refreshing.discard(method)
            if method in self.stale and response is not None:
                self.refresh(method, envelope=envelope)
                return
            self.release()

        sent.append(self.originate(True, method, params, done, REFRESH_TIMEOUT))

    def prefetch_lists(self) -> None:
        """List every kind the server announced as soon as the session is up, so pins know them all."""
        if not self.refresh_lists or not _handshake_era(self.session.protocol_version):
            return
        capabilities = self.server_capabilities if isinstance(self.server_capabilities, dict) else {}
        for method in sorted(self.stale):
            if _CAPABILITY_OF_LIST[method] in capabilities and method not in self.refreshing:
                self.refresh(method)

    def lists_changed(self, method: str | None) -> None:
        lists = _LISTS_CHANGED.get(method or "")
        if not lists or not self.refresh_lists:
            return
        self.stale.update(lists)
        if _handshake_era(self.session.protocol_version):
            for name in lists:
                if name not in self.refreshing:
                    self.refresh(name)

    def release(self) -> None:
        held, self.held = self.held, []
        for msg in held:
            self.client_request(msg)

    # -- asking a person -----------------------------------------------------------------------------
    def ask_client(self, request: Message, forward: Message, params: Mapping[str, Any],
                   decisions: tuple[Decision, ...]) -> None:
        key = request.id
        assert key is not None
        self.asking.add(key)
        asked = decisions[-1]

        def done(response: Message | None) -> None:
            self.asking.discard(key)
            approved, why = approval_outcome(response, self.approval_timeout)
            verdict = Decision("pass" if approved else "reply", None, why, "approval")
            if approved:
                self.forward_request(forward, (*decisions, verdict))
                return
            body = refusal_body(key, self.session.server, request.tool_name, asked, why)
            reply = self.reply_client(body)
            self.finish(_Pending(request, ()), reply, "replied", (*decisions, verdict))

        self.originate(False, "elicitation/create", params, done, self.approval_timeout)

    def client_oversize(self, frame: Oversize) -> None:
        key, method = scan_head(frame.head)
        text = f"message of {frame.size} bytes exceeds the {self.limits.max_frame_bytes}-byte frame limit"
        self.notice(f"client {text}; refused")
        if method is not None and key is not None:
            self.to_client(Message(error_body(key, INVALID_REQUEST, f"request refused: {text}")).frame())
        elif method is None and key is not None and key in self.server_pending:
            self.server_pending.discard(key)
            self.reply_server(error_body(key, INTERNAL_ERROR, f"client response dropped: {text}"))

    # -- server → client -----------------------------------------------------------------------------
    def server_frame(self, frame: bytes | Oversize) -> None:
        if isinstance(frame, Oversize):
            self.server_oversize(frame)
            return
        try:
            msg = parse_frame(frame, self.clock())
        except InvalidMessage as err:
            self.notice(f"server {self.session.server!r} sent an invalid message: {err.message}")
            self.reply_server(error_body(err.request_id, err.code, err.message))
            return
        kind = msg.kind
        if kind == "request":
            verdict = self.chain.server_request(msg, self.session)
            if verdict.ask is not None:
                self.reply_server(error_body(msg.id, INTERNAL_ERROR, "the gateway cannot ask about a server "
                                             "request; refused"))
                return
            if verdict.reply is not None:
                self.reply_server(dict(verdict.reply))
                return
            assert msg.id is not None
            self.server_pending.add(msg.id)
            if verdict.forward is not None:
                self.to_client(verdict.forward.frame())
        elif kind == "notification":
            if msg.method == "notifications/progress":
                key = self.progress.get(msg.params.get("progressToken"))
                if key is not None and key in self.pending:
                    self.arm(key)
            verdict = self.chain.server_notification(msg, self.session)
            if verdict.forward is not None:
                self.to_client(verdict.forward.frame())
            self.lists_changed(msg.method)
        else:
            if msg.id is not None and msg.id in self.own_server:
                self.own_answered(self.own_server, msg.id, msg)
                return
            self.server_response(msg)

    def server_response(self, msg: Message) -> None:
        key = msg.id
        entry = self.settle(key) if key is not None else None
        if entry is None:
            self.notice(f"dropped a server response to unknown or expired request id {key!r}")
            return
        verdict = self.chain.server_response(entry.request, msg, self.session)
        forward = verdict.forward
        assert forward is not None
        self.to_client(forward.frame())
        self.observe(entry.request, forward)
        outcome: Outcome = "rewritten" if forward is not msg else "forwarded"
        self.finish(entry, forward, outcome, verdict.decisions)

    def observe(self, request: Message, response: Message) -> None:
        result = response.result
        if result is None:
            return
        if request.method == "initialize":
            version = result.get("protocolVersion")
            self.session.protocol_version = version if isinstance(version, str) else None
            info = result.get("serverInfo")
            self.session.server_info = info if isinstance(info, dict) else None
            instructions = result.get("instructions")
            self.session.instructions = instructions if isinstance(instructions, str) else None
            self.server_capabilities = result.get("capabilities")
        elif request.method == "server/discover" and self.session.protocol_version is None:
            versions = result.get("supportedVersions")
            if isinstance(versions, list) and versions and isinstance(versions[0], str):
                self.session.protocol_version = versions[0]
            self.server_capabilities = result.get("capabilities")
            instructions = result.get("instructions")
            self.session.instructions = instructions if isinstance(instructions, str) else None
        elif request.method == "tools/list" and isinstance(result.get("tools"), list):
            names = frozenset(str(t.get("name")) for t in result["tools"] if isinstance(t, dict))
            paged = "cursor" in request.params
            self.session.tools_listed = (self.session.tools_listed | names) if paged else names
        if request.method in _CAPABILITY_OF_LIST and "cursor" not in request.params:
            self.stale.discard(request.method)

    def server_oversize(self, frame: Oversize) -> None:
        key, method = scan_head(frame.head)
        text = f"message of {frame.size} bytes exceeds the {self.limits.max_frame_bytes}-byte frame limit"
        self.notice(f"server {self.session.server!r} {text}; dropped")
        if method is None and key is not None and key in self.pending:
            entry = self.settle(key)
            assert entry is not None
            response = self.reply_client(error_body(
                key, INTERNAL_ERROR, f"server {self.session.server!r} response dropped: {text}",
                {"server": self.session.server, "size": frame.size}))
            self.finish(entry, response, "oversize")
        elif method is not None and key is not None:
            self.reply_server(error_body(key, INVALID_REQUEST, f"request refused: {text}"))

    # -- pumps ---------------------------------------------------------------------------------------
    async def pump(self, reader: asyncio.StreamReader, handle: Callable[[bytes | Oversize], None]) -> None:
        splitter = FrameSplitter(self.limits.max_frame_bytes, self.limits.head_bytes)
        while True:
            try:
                chunk = await reader.read(self.limits.read_chunk)
            except ConnectionError:
                chunk = b""
            if not chunk:
                tail = splitter.finish()
                if tail is not None:
                    handle(tail)
                return
            for frame in splitter.feed(chunk):
                handle(frame)
            await self.drain()

    async def client_side(self, reader: asyncio.StreamReader) -> None:
        await self.pump(reader, self.client_frame)
        self.stopping = True
        stdin = self.proc.stdin
        if stdin is not None:
            stdin.close()
        await self.reap()

    async def reap(self) -> None:
        """Wait for the child, then terminate, then kill it, ``shutdown_grace`` apart."""
        for action in (None, self.proc.terminate, self.proc.kill):
            if action is not None and self.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    action()
            try:
                await asyncio.wait_for(self.proc.wait(), self.limits.shutdown_grace)
                return
            except TimeoutError:
                continue

    def stop(self) -> None:
        self.stopping = True
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()


async def _open_client(stdin_fd: int, stdout_fd: int) -> tuple[asyncio.StreamReader, asyncio.WriteTransport,
                                                               _PipeSink]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**16)
    try:
        stdin = os.fdopen(stdin_fd, "rb", buffering=0, closefd=False)
        stdout = os.fdopen(stdout_fd, "wb", buffering=0, closefd=False)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stdin)
        transport, sink = await loop.connect_write_pipe(_PipeSink, stdout)
    except ValueError as err:
        raise UsageError(f"garrison wrap needs stdin and stdout to be pipes: {err}") from None
    return reader, transport, sink


def _stderr_notice(server: str) -> Notice:
    def notice(text: str) -> None:
        print(f"garrison wrap [{server}]: {text}", file=sys.stderr, flush=True)  # noqa: T201 - people to stderr

    return notice


async def run_relay(
    command: Sequence[str],
    *,
    session: SessionState,
    chain: InterceptorChain,
    limits: Limits | None = None,
    stdin_fd: int = 0,
    stdout_fd: int = 1,
    clock: Callable[[], float] = time.time,
    notice: Notice | None = None,
    refresh_lists: bool = False,
    approval_timeout: float = 120.0,
) -> int:
    """Relay between the client on ``stdin_fd``/``stdout_fd`` and ``command`` until one side ends.

    Returns :data:`CLIENT_CLOSED` (0) when the client hung up or a signal stopped us, :data:`SERVER_ENDED` (3)
    when the server ended first. Raises :class:`~garrison.errors.ServerLaunchError` if it cannot start.
    """
    if not command:
        raise UsageError("no server command given (usage: garrison wrap [OPTIONS] -- COMMAND [ARGS…])")
    limits = limits or Limits()
    say = notice or _stderr_notice(session.server)
    reader, out, sink = await _open_client(stdin_fd, stdout_fd)
    try:
        proc = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=None,
            limit=limits.read_chunk,
        )
    except OSError as err:
        out.close()
        text = f"cannot start {command[0]!r}: {err.strerror or err}"
        raise ServerLaunchError(text, where=session.server) from None
    relay = _Relay(proc, out, sink, chain, session, limits, clock, say, refresh_lists=refresh_lists,
                   approval_timeout=approval_timeout)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, relay.stop)
    client_task = asyncio.create_task(relay.client_side(reader))
    try:
        assert proc.stdout is not None
        await relay.pump(proc.stdout, relay.server_frame)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(proc.wait()), 0.25)  # for the exit code in the errors
        code = proc.returncode
        ended = "closed its output" if code is None else f"exited with code {code}"
        if relay.pending:
            relay.fail_all(f"server {session.server!r} {ended} before answering")
        if not relay.stopping:
            say(f"server {ended}")
        await relay.reap()
        with contextlib.suppress(ConnectionError):
            await sink.drain()
    finally:
        client_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await client_task
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
        out.close()
    return CLIENT_CLOSED if relay.stopping else SERVER_ENDED
