"""What every sensor shares: its reported state, the unavailable-backend signal and a stoppable thread."""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable
from dataclasses import dataclass

from garrison.model import Event

__all__ = ["Emit", "SensorState", "SensorThread", "SensorUnavailable"]

Emit = Callable[[Event], None]


class SensorUnavailable(Exception):
    """A backend cannot run here (no privilege, no kernel support); the sensor falls back or turns off."""


@dataclass(frozen=True, slots=True)
class SensorState:
    """``mode`` is the backend in use (``netlink``, ``polling``, ``fanotify``, ``inotify``, ``procfs``) or
    ``off``; ``degraded`` is true when it sees less than the preferred backend would."""

    sensor: str
    mode: str
    message: str
    degraded: bool = False


class SensorThread:
    """A daemon thread running ``step`` until stopped; a pipe wakes it from ``select`` at once on stop."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._stop_r, self._stop_w = os.pipe()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self, body: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                body()
            except BaseException as err:  # reported by the watcher, never lost with the thread
                self.error = err

        self._thread = threading.Thread(target=guarded, name=f"garrison-{self._name}", daemon=True)
        self._thread.start()

    def wait_readable(self, fd: int | None, timeout: float) -> bool:
        """Block until ``fd`` is readable (``True``), the timeout passes or stop is asked (``False``)."""
        watched = [self._stop_r] if fd is None else [fd, self._stop_r]
        ready, _, _ = select.select(watched, [], [], timeout)
        return fd is not None and fd in ready

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        try:
            os.write(self._stop_w, b"x")
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(timeout)
        for fd in (self._stop_r, self._stop_w):
            try:
                os.close(fd)
            except OSError:
                pass
