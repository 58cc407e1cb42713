"""Test support for the sensor tests: a sink that can be waited on."""

from __future__ import annotations

import threading
from collections.abc import Callable

from garrison.model import Event


class Collector:
    """A sink that lets a test wait for an event by condition instead of by time."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._cond = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[Event], bool], timeout: float = 20.0) -> Event:
        with self._cond:
            found: list[Event] = []

            def ready() -> bool:
                found[:] = [e for e in self.events if predicate(e)]
                return bool(found)

            if not self._cond.wait_for(ready, timeout):
                raise AssertionError(f"no matching event within {timeout}s; saw {len(self.events)} events")
            return found[0]

    def of(self, category: str) -> list[Event]:
        return [e for e in self.events if e.logsource.category == category]

    def status(self, sensor: str) -> list[Event]:
        return [e for e in self.events if e.logsource.product == "garrison" and e.fields.get("Sensor") == sensor]
