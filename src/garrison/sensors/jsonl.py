"""Garrison event JSON lines for sensor output: ``{"time", "logsource", "fields", "source", "id", "links"}``."""

from __future__ import annotations

import threading
from typing import IO

import orjson

from garrison.gateway.event_log import event_json
from garrison.model import Event

__all__ = ["JsonlSink", "event_line"]


def event_line(event: Event) -> bytes:
    """One event as a JSON line (with its ``id``), newline included."""
    record = event_json(event)
    if event.id is not None:
        record["id"] = event.id
    return orjson.dumps(record) + b"\n"


class JsonlSink:
    """A sink writing one flushed line per event to a binary stream (a file opened ``ab``, or stdout)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.count = 0

    def __call__(self, event: Event) -> None:
        line = event_line(event)
        with self._lock:
            self._stream.write(line)
            self._stream.flush()
            self.count += 1
