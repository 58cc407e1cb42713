"""Parsing frames into messages, and the errors for what is not JSON-RPC."""

from __future__ import annotations

import pytest

from garrison.gateway.messages import (
    INVALID_REQUEST,
    PARSE_ERROR,
    InvalidMessage,
    Message,
    error_body,
    parse_frame,
)


def test_request_keeps_its_original_bytes() -> None:
    raw = b'{"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "echo"}}'
    msg = parse_frame(raw, at=12.5)
    assert (msg.kind, msg.id, msg.method, msg.tool_name, msg.at) == ("request", 3, "tools/call", "echo", 12.5)
    assert msg.frame() == raw + b"\n"
    assert msg.size == len(raw)


def test_rewritten_message_is_serialised_compactly() -> None:
    msg = parse_frame(b'{"jsonrpc": "2.0", "id": 1, "result": {}}').with_body(
        {"jsonrpc": "2.0", "id": 1, "result": {"x": 1}})
    assert msg.kind == "response"
    assert msg.frame() == b'{"jsonrpc":"2.0","id":1,"result":{"x":1}}\n'


@pytest.mark.parametrize(
    ("raw", "code", "request_id"),
    [
        (b"{nope", PARSE_ERROR, None),
        (b'[{"jsonrpc": "2.0", "id": 1, "method": "a"}]', INVALID_REQUEST, None),
        (b'"just a string"', INVALID_REQUEST, None),
        (b'{"jsonrpc": "1.0", "id": 4, "method": "a"}', INVALID_REQUEST, 4),
        (b'{"jsonrpc": "2.0", "id": true, "method": "a"}', INVALID_REQUEST, None),
        (b'{"jsonrpc": "2.0", "id": 5, "method": 7}', INVALID_REQUEST, 5),
        (b'{"jsonrpc": "2.0", "id": 6, "method": "a", "params": [1]}', INVALID_REQUEST, 6),
        (b'{"jsonrpc": "2.0", "id": 7}', INVALID_REQUEST, None),
        (b'{"jsonrpc": "2.0", "result": {}}', INVALID_REQUEST, None),
    ],
)
def test_invalid_frames_raise_with_code_and_id(raw: bytes, code: int, request_id: object) -> None:
    with pytest.raises(InvalidMessage) as caught:
        parse_frame(raw)
    assert caught.value.code == code
    assert caught.value.request_id == request_id


def test_error_with_null_id_is_a_message() -> None:
    msg = parse_frame(b'{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "x"}}')
    assert msg.kind == "error"
    assert msg.id is None


def test_error_body_shape() -> None:
    assert error_body(1, -1, "m", {"k": "v"}) == {"jsonrpc": "2.0", "id": 1,
                                                 "error": {"code": -1, "message": "m", "data": {"k": "v"}}}
    assert Message(error_body(None, -2, "n")).kind == "error"
