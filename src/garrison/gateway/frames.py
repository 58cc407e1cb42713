"""Newline-delimited JSON-RPC framing with a hard size bound (pure: bytes in, frames out).

MCP's stdio transport sends one JSON-RPC message per line. :class:`FrameSplitter` cuts a byte stream into
lines and never holds more than ``max_frame_bytes`` of one line: past that, it keeps only the first
``head_bytes`` (enough to find ``id`` and ``method``), counts the rest and reports an :class:`Oversize`
when the line ends. Memory is bounded by the limit plus one read chunk, whatever the peer sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FrameSplitter", "Oversize", "scan_head"]


@dataclass(frozen=True, slots=True)
class Oversize:
    """A line longer than the limit. ``size`` is its full length in bytes; ``head`` its first bytes."""

    size: int
    head: bytes


class FrameSplitter:
    """Split a byte stream into frames. Empty lines are skipped and a trailing ``\\r`` is dropped."""

    def __init__(self, max_frame_bytes: int, head_bytes: int = 64 * 1024) -> None:
        self._max = max_frame_bytes
        self._head_bytes = min(head_bytes, max_frame_bytes)
        self._buf = bytearray()
        self._skipping = False
        self._skipped = 0
        self._head = b""

    @property
    def buffered(self) -> int:
        """Bytes of an unfinished line currently held (never more than the limit)."""
        return len(self._buf)

    def feed(self, chunk: bytes) -> list[bytes | Oversize]:
        out: list[bytes | Oversize] = []
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            end = len(chunk) if newline < 0 else newline
            self._take(chunk, start, end)
            if newline < 0:
                return out
            frame = self._end_line()
            if frame is not None:
                out.append(frame)
            start = newline + 1

    def finish(self) -> bytes | Oversize | None:
        """The unterminated last line at end of stream, if any (a partial frame)."""
        return self._end_line()

    def _take(self, chunk: bytes, start: int, end: int) -> None:
        size = end - start
        if self._skipping:
            self._skipped += size
            return
        if len(self._buf) + size <= self._max:
            self._buf += chunk[start:end]
            return
        room = max(0, self._head_bytes - len(self._buf))
        self._head = bytes(self._buf[: self._head_bytes]) + chunk[start : start + room]
        self._skipped = len(self._buf) + size
        self._skipping = True
        self._buf = bytearray()

    def _end_line(self) -> bytes | Oversize | None:
        if self._skipping:
            frame: bytes | Oversize = Oversize(self._skipped, self._head)
            self._skipping = False
            self._skipped = 0
            self._head = b""
            return frame
        line = bytes(self._buf)
        self._buf = bytearray()
        if line.endswith(b"\r"):
            line = line[:-1]
        return line if line.strip() else None


_BODY_KEY = re.compile(rb'"(?:params|result|error)"\s*:')
_ID = re.compile(rb'"id"\s*:\s*(-?\d{1,18}|"(?:[^"\\]|\\.){0,256}")')
_METHOD = re.compile(rb'"method"\s*:\s*"((?:[^"\\]|\\.){1,256})"')


def scan_head(head: bytes) -> tuple[int | str | None, str | None]:
    """Best-effort ``(id, method)`` of an oversize message from its first bytes.

    Only keys written before the first ``params``/``result``/``error`` key are trusted, so an ``id`` nested
    inside the payload is never taken for the message's own. Returns ``None`` for what cannot be found.
    """
    body = _BODY_KEY.search(head)
    envelope = head[: body.start()] if body else head
    id_value: int | str | None = None
    found = _ID.search(envelope)
    if found:
        text = found.group(1)
        id_value = text[1:-1].decode("utf-8", "replace") if text.startswith(b'"') else int(text)
    method = _METHOD.search(envelope)
    return id_value, method.group(1).decode("utf-8", "replace") if method else None
