"""JSON-RPC messages as the relay sees them: the original bytes plus the parsed body (pure).

A :class:`Message` keeps the exact bytes it arrived as (``raw``); the relay forwards those untouched unless an
interceptor rewrites the body. Bodies are read-only by convention: interceptors build a new body and return
``Decision.rewrite``; they never mutate the one they are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

__all__ = [
    "CONNECTION_CLOSED",
    "INTERNAL_ERROR",
    "INVALID_REQUEST",
    "PARSE_ERROR",
    "REQUEST_DENIED",
    "REQUEST_TIMEOUT",
    "InvalidMessage",
    "Message",
    "MessageKind",
    "error_body",
    "parse_frame",
    "result_body",
]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INTERNAL_ERROR = -32603
CONNECTION_CLOSED = -32000
REQUEST_TIMEOUT = -32001
REQUEST_DENIED = -32010
"""A gateway interceptor refused the request (deny-list, policy, pin mismatch)."""

MessageKind = Literal["request", "notification", "response", "error"]
RequestId = int | str


@dataclass(frozen=True, slots=True)
class Message:
    """One JSON-RPC message. ``raw`` is the original frame (no newline) or ``None`` if built here;
    ``at`` is the wall-clock time (epoch seconds) the relay read it."""

    body: Mapping[str, Any]
    raw: bytes | None = None
    at: float = 0.0

    @property
    def kind(self) -> MessageKind:
        if "method" in self.body:
            return "request" if "id" in self.body else "notification"
        return "error" if "error" in self.body else "response"

    @property
    def id(self) -> RequestId | None:
        value = self.body.get("id")
        return value if isinstance(value, int | str) and not isinstance(value, bool) else None

    @property
    def method(self) -> str | None:
        value = self.body.get("method")
        return value if isinstance(value, str) else None

    @property
    def params(self) -> Mapping[str, Any]:
        value = self.body.get("params")
        return value if isinstance(value, Mapping) else {}

    @property
    def result(self) -> Mapping[str, Any] | None:
        value = self.body.get("result")
        return value if isinstance(value, Mapping) else None

    @property
    def tool_name(self) -> str | None:
        """``params.name`` of a ``tools/call`` request, else ``None``."""
        if self.method != "tools/call":
            return None
        name = self.params.get("name")
        return name if isinstance(name, str) else None

    @property
    def size(self) -> int:
        return len(self.raw) if self.raw is not None else len(orjson.dumps(self.body))

    def frame(self) -> bytes:
        """The bytes to send: the original frame when unchanged, else the compact JSON of ``body``."""
        data = self.raw if self.raw is not None else orjson.dumps(self.body)
        return data + b"\n"

    def with_body(self, body: Mapping[str, Any]) -> Message:
        return Message(body=body, raw=None, at=self.at)


class InvalidMessage(Exception):
    """A frame that is not a JSON-RPC message: ``code`` is -32700 (not JSON) or -32600 (not JSON-RPC)."""

    def __init__(self, code: int, message: str, request_id: RequestId | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


def parse_frame(raw: bytes, at: float = 0.0) -> Message:
    """Parse one frame. Batches (JSON arrays) are refused: interceptors could not see inside them."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise InvalidMessage(PARSE_ERROR, f"parse error: {err}") from None
    if not isinstance(body, dict):
        kind = "a batch" if isinstance(body, list) else f"a JSON {type(body).__name__}"
        raise InvalidMessage(INVALID_REQUEST, f"invalid request: expected a JSON-RPC object, got {kind}")
    message = Message(body=body, raw=raw, at=at)
    if body.get("jsonrpc") != "2.0":
        raise InvalidMessage(INVALID_REQUEST, "invalid request: 'jsonrpc' must be \"2.0\"", message.id)
    if "id" in body and message.id is None and not ("error" in body and body["id"] is None):
        raise InvalidMessage(INVALID_REQUEST, "invalid request: 'id' must be a string or an integer")
    if "method" in body:
        if message.method is None:
            raise InvalidMessage(INVALID_REQUEST, "invalid request: 'method' must be a string", message.id)
        if "params" in body and not isinstance(body["params"], dict):
            raise InvalidMessage(INVALID_REQUEST, "invalid request: 'params' must be an object", message.id)
    elif ("result" in body) == ("error" in body) or "id" not in body:
        raise InvalidMessage(INVALID_REQUEST, "invalid message: not a request, a notification or a response")
    return message


def error_body(request_id: RequestId | None, code: int, message: str,
               data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = dict(data)
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def result_body(request_id: RequestId, result: Mapping[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": dict(result)}
