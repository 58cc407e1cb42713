"""The interception interface of ``garrison wrap``: pure decisions on JSON-RPC messages.

The relay (``garrison.gateway.relay``) reads every message from both sides and asks an
:class:`InterceptorChain` what to do with it. Each interceptor is a plain object with five hooks and one
observer; every hook takes values and returns a :class:`Decision`, with no I/O, no clock and no global state
(the relay stamps each :class:`~garrison.gateway.messages.Message` with the time it was read, ``msg.at``).

Hooks and what each decision means there (``fwd`` = forward to the other side)::

    hook                               pass  rewrite(body)          reply(result|error)        drop
    on_client_request(msg, s)          fwd   fwd the new request    answer client, no fwd      = reply error
    on_client_notification(msg, s)     fwd   fwd the new body       (= drop)                   discard
    on_server_request(msg, s)          fwd   fwd the new request    answer server, no fwd      = reply error
    on_server_notification(msg, s)     fwd   fwd the new body       (= drop)                   discard
    on_server_response(req, resp, s)   fwd   client gets new body   client gets this instead   = reply error

``Decision.note(reason)`` passes but keeps the reason in the exchange (a flag for the record);
``Decision.ask(params, reason)`` on a client request holds it while the relay asks the person at the client
(``elicitation/create``): accepted → forwarded, declined or timed out → refused.

``on_complete(exchange, s)`` observes every finished client request (answered, refused, timed out, lost when
the server died) and returns nothing; it is how the call-record interceptor feeds the event sink.

Interceptors run in order. A rewrite hands the rewritten message to the next interceptor; a reply or drop
stops the chain. An interceptor that raises fails closed: the request is refused with an internal error
naming the interceptor, a response is replaced by that error, a notification is dropped.

Writing one: subclass :class:`BaseInterceptor` (every hook passes by default), set ``name``, override what you
need. Build new bodies; never mutate ``msg.body``. Example, refusing one tool::

    class NoShell(BaseInterceptor):
        name = "no-shell"

        def on_client_request(self, msg, session):
            if msg.tool_name == "run_shell":
                return Decision.reply_error(REQUEST_DENIED, "tool 'run_shell' is not allowed")
            return PASS

Shipped: ``sanitise.ToolListSanitiser`` (invisible Unicode and ANSI escapes out of listed descriptions),
``records.CallRecorder`` (one :class:`CallRecord` event per request), ``denylist.DenyList``, ``pins.PinGuard``,
``guard.ContentGuard``, ``policy.PolicyGate`` and ``audit_sink.AuditGate`` (see ``chain.build_chain``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from garrison.gateway.messages import INTERNAL_ERROR, REQUEST_DENIED, Message, error_body
from garrison.model import Event

__all__ = [
    "PASS",
    "BaseInterceptor",
    "CallRecord",
    "Decision",
    "EventSink",
    "Exchange",
    "Interceptor",
    "InterceptorChain",
    "Outcome",
    "SessionState",
    "Verdict",
]

Action = Literal["pass", "rewrite", "reply", "drop", "ask"]
Outcome = Literal["forwarded", "rewritten", "replied", "timeout", "upstream_closed", "oversize"]
EventSink = Callable[[Event], None]


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one message. ``body`` is the new message (rewrite) or ``{"result": …}`` /
    ``{"error": …}`` (reply). ``by`` is filled in by the chain with the interceptor's name."""

    action: Action = "pass"
    body: Mapping[str, Any] | None = None
    reason: str | None = None
    by: str | None = None

    @classmethod
    def rewrite(cls, body: Mapping[str, Any], reason: str) -> Decision:
        return cls("rewrite", body, reason)

    @classmethod
    def reply_result(cls, result: Mapping[str, Any], reason: str) -> Decision:
        return cls("reply", {"result": dict(result)}, reason)

    @classmethod
    def reply_error(cls, code: int, message: str, data: Mapping[str, Any] | None = None,
                    reason: str | None = None) -> Decision:
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = dict(data)
        return cls("reply", {"error": error}, reason or message)

    @classmethod
    def drop(cls, reason: str) -> Decision:
        return cls("drop", None, reason)

    @classmethod
    def note(cls, reason: str) -> Decision:
        """Pass, but keep ``reason`` in the exchange's decisions (a flag worth recording)."""
        return cls("pass", None, reason)

    @classmethod
    def ask(cls, elicitation: Mapping[str, Any], reason: str) -> Decision:
        """Hold a client request and ask the person at the client (``elicitation/create`` with these params);
        the relay forwards it if they accept and refuses it otherwise."""
        return cls("ask", dict(elicitation), reason)


PASS = Decision()


@dataclass(slots=True)
class SessionState:
    """What the relay knows about the connection; updated by the relay only, read by interceptors."""

    server: str
    protocol_version: str | None = None
    client_info: Mapping[str, Any] | None = None
    server_info: Mapping[str, Any] | None = None
    tools_listed: frozenset[str] = frozenset()
    """Names in the last ``tools/list`` result the client received."""
    identity: str | None = None
    """The authenticated client identity (the HTTP gateway's bearer token); ``None`` behind ``garrison wrap``."""
    client_capabilities: Mapping[str, Any] | None = None
    """``capabilities`` the client declared in ``initialize``."""
    instructions: str | None = None
    """The server's ``instructions`` from its ``initialize`` result."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """A finished client request: what the client asked, what it got back, and why."""

    request: Message
    response: Message | None
    outcome: Outcome
    decisions: tuple[Decision, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """The chain's answer: ``forward`` goes on to the other side, ``reply`` back to the sender (a full
    JSON-RPC body), or neither (dropped). ``decisions`` lists every non-pass decision taken."""

    forward: Message | None
    reply: Mapping[str, Any] | None = None
    decisions: tuple[Decision, ...] = ()
    ask: Mapping[str, Any] | None = None
    """Set when an interceptor asked for a person's approval: the ``elicitation/create`` params; ``forward``
    is the request to send if they accept."""


class Interceptor(Protocol):
    name: str

    def on_client_request(self, msg: Message, session: SessionState) -> Decision: ...
    def on_client_notification(self, msg: Message, session: SessionState) -> Decision: ...
    def on_server_request(self, msg: Message, session: SessionState) -> Decision: ...
    def on_server_notification(self, msg: Message, session: SessionState) -> Decision: ...
    def on_server_response(self, request: Message, response: Message, session: SessionState) -> Decision: ...
    def on_complete(self, exchange: Exchange, session: SessionState) -> None: ...


class BaseInterceptor:
    """Every hook passes; subclasses override the ones they need."""

    name: str = "base"

    def on_client_request(self, msg: Message, session: SessionState) -> Decision:
        return PASS

    def on_client_notification(self, msg: Message, session: SessionState) -> Decision:
        return PASS

    def on_server_request(self, msg: Message, session: SessionState) -> Decision:
        return PASS

    def on_server_notification(self, msg: Message, session: SessionState) -> Decision:
        return PASS

    def on_server_response(self, request: Message, response: Message, session: SessionState) -> Decision:
        return PASS

    def on_complete(self, exchange: Exchange, session: SessionState) -> None:
        return None


def _failed(name: str, err: Exception) -> Decision:
    message = f"gateway interceptor {name!r} failed: {type(err).__name__}: {err}"
    return Decision("reply", {"error": {"code": INTERNAL_ERROR, "message": message}}, message, name)


def _refusal(decision: Decision) -> Mapping[str, Any]:
    if decision.action == "reply" and decision.body is not None:
        return decision.body
    reason = decision.reason or "refused"
    return {"error": {"code": REQUEST_DENIED, "message": f"refused by {decision.by}: {reason}"}}


def _answer(request_id: Any, decision: Decision) -> dict[str, Any]:
    body = dict(_refusal(decision))
    if "error" in body:
        error = body["error"]
        return error_body(request_id, int(error.get("code", REQUEST_DENIED)), str(error.get("message", "")),
                          error.get("data"))
    return {"jsonrpc": "2.0", "id": request_id, "result": body.get("result", {})}


@dataclass(slots=True)
class InterceptorChain:
    """Runs interceptors in order and turns their decisions into a :class:`Verdict`."""

    interceptors: Sequence[Interceptor] = field(default_factory=tuple)

    def _run(self, msg: Message,
             hook: Callable[[Interceptor, Message], Decision]) -> tuple[Message, list[Decision]]:
        decisions: list[Decision] = []
        current = msg
        for interceptor in self.interceptors:
            try:
                decision = hook(interceptor, current)
            except Exception as err:  # fail closed: a broken interceptor refuses, never waves through
                decisions.append(_failed(interceptor.name, err))
                return current, decisions
            if decision.action == "pass":
                if decision.reason is not None:
                    decisions.append(replace(decision, by=interceptor.name))
                continue
            decision = replace(decision, by=interceptor.name)
            decisions.append(decision)
            if decision.action == "rewrite" and decision.body is not None:
                current = current.with_body(decision.body)
            elif decision.action != "rewrite":
                break
        return current, decisions

    def _request(self, msg: Message, hook: Callable[[Interceptor, Message], Decision]) -> Verdict:
        current, decisions = self._run(msg, hook)
        if decisions and decisions[-1].action in ("reply", "drop"):
            return Verdict(None, _answer(msg.id, decisions[-1]), tuple(decisions))
        if decisions and decisions[-1].action == "ask" and decisions[-1].body is not None:
            return Verdict(current, None, tuple(decisions), ask=decisions[-1].body)
        return Verdict(current, None, tuple(decisions))

    def _notification(self, msg: Message, hook: Callable[[Interceptor, Message], Decision]) -> Verdict:
        current, decisions = self._run(msg, hook)
        if decisions and decisions[-1].action in ("reply", "drop", "ask"):
            return Verdict(None, None, tuple(decisions))
        return Verdict(current, None, tuple(decisions))

    def client_request(self, msg: Message, session: SessionState) -> Verdict:
        return self._request(msg, lambda i, m: i.on_client_request(m, session))

    def server_request(self, msg: Message, session: SessionState) -> Verdict:
        return self._request(msg, lambda i, m: i.on_server_request(m, session))

    def client_notification(self, msg: Message, session: SessionState) -> Verdict:
        return self._notification(msg, lambda i, m: i.on_client_notification(m, session))

    def server_notification(self, msg: Message, session: SessionState) -> Verdict:
        return self._notification(msg, lambda i, m: i.on_server_notification(m, session))

    def server_response(self, request: Message, response: Message, session: SessionState) -> Verdict:
        current, decisions = self._run(response, lambda i, m: i.on_server_response(request, m, session))
        if decisions and decisions[-1].action in ("reply", "drop", "ask"):
            current = response.with_body(_answer(request.id, decisions[-1]))
        return Verdict(current, None, tuple(decisions))

    def complete(self, exchange: Exchange, session: SessionState) -> None:
        for interceptor in self.interceptors:
            try:
                interceptor.on_complete(exchange, session)
            except Exception:  # noqa: S112 - an observer's failure must not stop the others
                continue


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One client request as the gateway saw it; values of arguments are never kept, only their shape."""

    time: float
    server: str
    method: str
    tool: str | None
    argument_shape: Mapping[str, Any]
    decision: str
    reason: str | None
    latency_ms: float | None
    result_bytes: int | None
    is_error: bool
    request_id: int | str | None
    identity: str | None = None
    client: str | None = None
    """``clientInfo.name`` from ``initialize``."""
