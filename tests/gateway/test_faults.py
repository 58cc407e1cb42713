"""Faults at the edge: crashes, hangs, malformed and oversize frames, driven through ``garrison wrap``."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from wrap_harness import RAW_SERVER, SDK_SERVER, RawWrap

pytestmark = pytest.mark.integration

SDK = [sys.executable, SDK_SERVER]
RAW = [sys.executable, RAW_SERVER]


def call(name: str, arguments: dict[str, object] | None = None) -> dict[str, object]:
    return {"name": name, "arguments": arguments or {}}


def test_crash_mid_call_answers_every_inflight_request_within_a_second() -> None:
    wrap = RawWrap(SDK)
    try:
        wrap.initialize()
        wrap.request(1, "tools/call", call("hang"))
        sent = time.monotonic()
        wrap.request(2, "tools/call", call("crash", {"code": 7}))
        answers = {wrap.read_id(i, timeout=5)["id"]: time.monotonic() for i in (1, 2)}
        first_error = wrap.read(timeout=5)
    finally:
        code, stderr = wrap.finish()
    assert max(answers.values()) - sent < 1.0
    assert first_error is None  # stream closed after the errors
    assert code == 3
    assert "exited with code 7" in stderr


def test_crash_errors_name_the_server_and_use_connection_closed() -> None:
    wrap = RawWrap(SDK, "--name", "fx")
    try:
        wrap.initialize()
        wrap.request(1, "tools/call", call("crash", {"code": 9}))
        error = wrap.read_id(1)["error"]
    finally:
        wrap.finish()
    assert error["code"] == -32000
    assert "'fx'" in error["message"]
    assert error["data"] == {"server": "fx"}


def test_hung_upstream_gets_a_timeout_error_and_later_calls_still_work(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    wrap = RawWrap(RAW, "--request-timeout", "1", "--events", str(events))
    try:
        wrap.initialize()
        wrap.request(1, "tools/call", call("hang"))
        error = wrap.read_id(1, timeout=5)["error"]
        wrap.request(2, "tools/call", call("echo", {"text": "still here"}))
        result = wrap.read_id(2)["result"]
    finally:
        code, _ = wrap.finish()
    assert error["code"] == -32001
    assert "did not answer 'tools/call' within 1 s" in error["message"]
    assert result["content"][0]["text"] == "still here"
    assert code == 0
    records = [json.loads(line)["fields"] for line in events.read_text().splitlines()]
    assert [(r["method"], r["tool"], r["decision"]) for r in records] == [
        ("initialize", None, "pass"), ("tools/call", "hang", "timeout"), ("tools/call", "echo", "pass")]


def test_malformed_json_from_the_client_gets_a_parse_error_and_the_relay_goes_on() -> None:
    wrap = RawWrap(RAW)
    try:
        wrap.send_bytes(b"{this is not json\n")
        parse_error = wrap.read()
        wrap.send_bytes(b'[{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}]\n')
        batch_error = wrap.read()
        wrap.send_bytes(b'{"jsonrpc": "1.0", "id": 2, "method": "tools/list"}\n')
        version_error = wrap.read()
        wrap.request(3, "tools/call", call("echo", {"text": "ok"}))
        result = wrap.read_id(3)
    finally:
        code, _ = wrap.finish()
    assert parse_error is not None
    assert parse_error["error"]["code"] == -32700
    assert parse_error["id"] is None
    assert batch_error is not None
    assert batch_error["error"]["code"] == -32600
    assert version_error is not None
    assert version_error["error"]["code"] == -32600
    assert version_error["id"] == 2
    assert result["result"]["content"][0]["text"] == "ok"
    assert code == 0


def test_partial_frame_at_end_of_client_stream_gets_a_parse_error(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    wrap = RawWrap(RAW, env={**os.environ, "RAW_SERVER_LOG": str(log)})
    try:
        wrap.request(1, "tools/call", call("echo", {"text": "whole"}))
        assert wrap.read_id(1)["result"]["content"][0]["text"] == "whole"
        wrap.send_bytes(b'{"jsonrpc": "2.0", "id": 2, "meth')
        wrap.close_stdin()
        error = wrap.read()
        end = wrap.read()
    finally:
        code, _ = wrap.finish()
    assert error is not None
    assert error["error"]["code"] == -32700
    assert end is None
    assert code == 0
    assert [json.loads(line)["id"] for line in log.read_text().splitlines()] == [1]


def test_garbage_from_the_server_is_not_relayed() -> None:
    wrap = RawWrap(RAW)
    try:
        wrap.request(1, "tools/call", call("garbage"))
        frame = wrap.read()
    finally:
        _, stderr = wrap.finish()
    assert frame is not None
    assert frame["id"] == 1
    assert frame["result"]["content"][0]["text"] == "after garbage"
    assert "sent an invalid message" in stderr


def test_response_to_an_unknown_id_is_dropped() -> None:
    wrap = RawWrap(RAW)
    try:
        wrap.request(1, "tools/call", call("unknown_id"))
        frame = wrap.read()
    finally:
        _, stderr = wrap.finish()
    assert frame is not None
    assert frame["id"] == 1
    assert "unknown or expired request id 'nobody-asked'" in stderr


def test_partial_frame_from_a_dying_server_fails_the_call() -> None:
    wrap = RawWrap(RAW)
    try:
        wrap.request(1, "tools/call", call("partial"))
        frame = wrap.read_id(1, timeout=5)
    finally:
        code, _ = wrap.finish()
    assert frame["error"]["code"] == -32000
    assert code == 3


@pytest.mark.slow
def test_100mb_request_is_refused_with_bounded_memory(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    wrap = RawWrap(RAW, env={**os.environ, "RAW_SERVER_LOG": str(log)})
    size = 100 * 1024 * 1024
    head = (b'{"jsonrpc": "2.0", "id": 7, "method": "tools/call", '
            b'"params": {"name": "echo", "arguments": {"text": "')
    chunk = b"a" * (1024 * 1024)

    def write() -> None:
        wrap.send_bytes(head)
        for _ in range(size // len(chunk)):
            wrap.send_bytes(chunk)
        wrap.send_bytes(b'"}}}\n')

    writer = threading.Thread(target=write)
    writer.start()
    try:
        refusal = wrap.read_id(7, timeout=120)
        writer.join(60)
        peak = wrap.peak_rss_bytes()
        wrap.request(8, "tools/call", call("echo", {"text": "after"}))
        after = wrap.read_id(8)
    finally:
        wrap.finish()
    assert refusal["error"]["code"] == -32600
    assert "exceeds the 16777216-byte frame limit" in refusal["error"]["message"]
    assert peak < 64 * 1024 * 1024, f"peak RSS {peak} bytes"  # idle ~24 MiB + at most one 16 MiB frame
    assert after["result"]["content"][0]["text"] == "after"
    assert [json.loads(line)["id"] for line in log.read_text().splitlines()] == [8]


def test_oversize_response_is_replaced_by_an_error() -> None:
    wrap = RawWrap(SDK, "--max-frame-bytes", str(256 * 1024))
    try:
        wrap.initialize()
        wrap.request(1, "tools/call", call("big_output", {"size": 1024 * 1024}))
        error = wrap.read_id(1)["error"]
        wrap.request(2, "tools/call", call("big_output", {"size": 10}))
        ok = wrap.read_id(2)
    finally:
        code, stderr = wrap.finish()
    assert error["code"] == -32603
    assert "response dropped" in error["message"]
    assert ok["result"]["content"][0]["text"] == "x" * 10
    assert "dropped" in stderr
    assert code == 0


def test_missing_command_is_a_usage_error() -> None:
    wrap = RawWrap([])
    code, stderr = wrap.finish()
    assert code == 2
    assert "no server command" in stderr


def test_unstartable_command_exits_incomplete() -> None:
    wrap = RawWrap(["/nonexistent/server-binary"])
    code, stderr = wrap.finish()
    assert code == 3
    assert "cannot start" in stderr


def test_child_gets_the_clients_environment_and_its_stderr_passes_through() -> None:
    wrap = RawWrap(RAW, env={**os.environ, "GATEWAY_TEST_TOKEN": "s3cret-value"})
    try:
        wrap.request(1, "tools/call", call("env", {"text": "GATEWAY_TEST_TOKEN"}))
        value = wrap.read_id(1)["result"]["content"][0]["text"]
    finally:
        code, stderr = wrap.finish()
    assert value == "s3cret-value"
    assert "raw server started" in stderr
    assert code == 0


def test_sigterm_stops_the_server_and_exits_cleanly() -> None:
    wrap = RawWrap(SDK)
    try:
        wrap.initialize()
        wrap.request(1, "tools/call", call("hang"))
        wrap.proc.send_signal(signal.SIGTERM)
        error = wrap.read_id(1, timeout=5)
        end = wrap.read(timeout=5)
    finally:
        code, _ = wrap.finish()
    assert error["error"]["code"] == -32000
    assert end is None
    assert code == 0
