"""Framing: lines in, frames out, memory bounded by the limit."""

from __future__ import annotations

import pytest

from garrison.gateway.frames import FrameSplitter, Oversize, scan_head


def test_frames_split_across_chunks_and_blank_lines_are_skipped() -> None:
    splitter = FrameSplitter(1024)
    assert splitter.feed(b'{"a":') == []
    assert splitter.feed(b'1}\n\n  \n{"b":2}\r\n{"c"') == [b'{"a":1}', b'{"b":2}']
    assert splitter.finish() == b'{"c"'
    assert splitter.finish() is None


def test_oversize_line_keeps_only_its_head_and_reports_its_size() -> None:
    splitter = FrameSplitter(1024, head_bytes=16)
    frames = []
    for _ in range(100):
        frames += splitter.feed(b"x" * 100)
        assert splitter.buffered <= 1024
    frames += splitter.feed(b"tail\nnext\n")
    assert frames == [Oversize(size=10_004, head=b"x" * 16), b"next"]


def test_line_of_exactly_the_limit_passes() -> None:
    splitter = FrameSplitter(1024)
    assert splitter.feed(b"y" * 1024 + b"\n") == [b"y" * 1024]
    assert splitter.feed(b"y" * 1025 + b"\n") == [Oversize(1025, b"y" * 1024)]


def test_oversize_partial_line_at_end_of_stream() -> None:
    splitter = FrameSplitter(1024, head_bytes=4)
    assert splitter.feed(b"z" * 2000) == []
    assert splitter.finish() == Oversize(2000, b"zzzz")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"id":99', (7, "tools/call")),
        (b'{"jsonrpc":"2.0","id":"abc","result":{"id":1', ("abc", None)),
        (b'{"jsonrpc":"2.0","method":"x","params":{"id":5', (None, "x")),
        (b'{"method":"tools/call","params":{"name":"a","id":3}, "id": 4', (None, "tools/call")),
        (b"garbage", (None, None)),
    ],
)
def test_scan_head_trusts_only_the_envelope(head: bytes, expected: tuple[object, object]) -> None:
    assert scan_head(head) == expected
