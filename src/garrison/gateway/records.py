"""The call-record interceptor: one :class:`CallRecord` per client request, sent to an event sink as an
:class:`~garrison.model.Event` (``logsource: product=mcp, category=tool_call`` for ``tools/call``,
``category=mcp_request`` for the rest). Argument values are redacted: only keys and JSON types are kept."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from garrison.gateway.interceptors import BaseInterceptor, CallRecord, EventSink, Exchange, SessionState
from garrison.model import Event, LogSource

__all__ = ["MAX_SHAPE_DEPTH", "CallRecorder", "argument_shape", "record_event", "record_of"]

MAX_SHAPE_DEPTH = 8
MAX_SHAPE_KEYS = 64
EVENT_SOURCE = "garrison.wrap"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return type(value).__name__


def argument_shape(value: Any, depth: int = 0) -> Any:
    """The shape of a JSON value: objects keep their keys, lists the distinct shapes of their items,
    scalars become their type name. Bounded in depth and width."""
    if depth >= MAX_SHAPE_DEPTH:
        return "..."
    if isinstance(value, Mapping):
        keys = sorted(value, key=str)
        shape = {str(k): argument_shape(value[k], depth + 1) for k in keys[:MAX_SHAPE_KEYS]}
        if len(keys) > MAX_SHAPE_KEYS:
            shape["..."] = f"{len(keys) - MAX_SHAPE_KEYS} more keys"
        return shape
    if isinstance(value, list):
        shapes: list[Any] = []
        for item in value:
            shape = argument_shape(item, depth + 1)
            if shape not in shapes:
                shapes.append(shape)
            if len(shapes) >= 4:
                break
        return shapes
    return _type_name(value)


def _decision(exchange: Exchange) -> tuple[str, str | None]:
    refusals = [d for d in exchange.decisions if d.action in ("reply", "drop")]
    if refusals:
        last = refusals[-1]
        return f"{last.action}:{last.by}", last.reason
    rewrites = [d for d in exchange.decisions if d.action == "rewrite"]
    if rewrites:
        return "rewrite:" + ",".join(str(d.by) for d in rewrites), "; ".join(str(d.reason) for d in rewrites)
    if exchange.outcome in ("timeout", "upstream_closed", "oversize"):
        return exchange.outcome, None
    asked = [d for d in exchange.decisions if d.action == "ask"]
    notes = [d for d in exchange.decisions if d.action == "pass" and d.reason is not None]
    if asked:
        return f"ask:{asked[-1].by}", "; ".join(str(d.reason) for d in asked + notes)
    if notes:
        return "flag:" + ",".join(str(d.by) for d in notes), "; ".join(str(d.reason) for d in notes)
    return "pass", None


def record_of(exchange: Exchange, session: SessionState) -> CallRecord:
    request, response = exchange.request, exchange.response
    arguments = request.params.get("arguments") if request.method == "tools/call" else request.params
    decision, reason = _decision(exchange)
    return CallRecord(
        time=request.at,
        server=session.server,
        method=request.method or "",
        tool=request.tool_name,
        argument_shape=argument_shape(arguments) if isinstance(arguments, Mapping) else {},
        decision=decision,
        reason=reason,
        latency_ms=round((response.at - request.at) * 1000.0, 3) if response is not None else None,
        result_bytes=response.size if response is not None else None,
        is_error=response is None or response.kind == "error" or bool((response.result or {}).get("isError")),
        request_id=request.id,
        identity=session.identity,
        client=_client(session),
    )


def _client(session: SessionState) -> str | None:
    name = session.client_info.get("name") if session.client_info else None
    return name if isinstance(name, str) else None


def record_event(record: CallRecord) -> Event:
    category = "tool_call" if record.method == "tools/call" else "mcp_request"
    fields = {
        "server": record.server,
        "client": record.client,
        "method": record.method,
        "tool": record.tool,
        "arguments_shape": record.argument_shape,
        "decision": record.decision,
        "reason": record.reason,
        "latency_ms": record.latency_ms,
        "result_bytes": record.result_bytes,
        "is_error": record.is_error,
    }
    links = {"server": record.server}
    if record.identity is not None:
        fields["identity"] = record.identity
        links["identity"] = record.identity
    if record.request_id is not None:
        links["call_id"] = str(record.request_id)
    return Event(time=record.time, logsource=LogSource(product="mcp", category=category), fields=fields,
                 source=EVENT_SOURCE, links=links)


class CallRecorder(BaseInterceptor):
    """Observes every finished request and sends its record to ``sink``; never changes a message."""

    name = "call-record"

    def __init__(self, sink: EventSink) -> None:
        self._sink = sink

    def on_complete(self, exchange: Exchange, session: SessionState) -> None:
        self._sink(record_event(record_of(exchange, session)))
