"""An event sink that appends one JSON line per event to a file (the edge for ``--events``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

import orjson

from garrison.errors import ConfigError
from garrison.model import Event

__all__ = ["EventLog", "event_json"]


def event_json(event: Event) -> dict[str, Any]:
    """The event's JSON line (:meth:`Event.to_json`)."""
    return event.to_json()


@dataclass(slots=True)
class EventLog:
    """JSON Lines file, flushed per event so a crash loses nothing already relayed."""

    path: str
    handle: IO[bytes]

    @classmethod
    def open(cls, path: str) -> EventLog:
        try:
            handle = open(path, "ab")
        except OSError as err:
            raise ConfigError(f"cannot open the event log: {err.strerror or err}", where=path) from None
        return cls(path, handle)

    def write(self, event: Event) -> None:
        self.handle.write(orjson.dumps(event_json(event)) + b"\n")
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()
