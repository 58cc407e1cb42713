"""Process sensor: exec, fork and exit of watched process trees.

Preferred backend: the kernel proc connector (netlink ``NETLINK_CONNECTOR``, group ``CN_IDX_PROC``), which
reports every fork, exec and exit as it happens, so even a child that lives a millisecond is seen. Its exec
event carries only the pid; the image, command line, cwd and user are read from ``/proc`` right away and may
already be gone (the event is then marked ``Enrichment: partial``). Older kernels ask for ``CAP_NET_ADMIN``.

Fallback: listing ``/proc`` every ``poll_interval`` seconds. It misses any process that starts and ends
between two listings, and it says so loudly.
"""

from __future__ import annotations

import errno
import socket
import threading
import time as _time
from collections.abc import Callable

from garrison.errors import UsageError
from garrison.sensors.base import Emit, SensorState, SensorThread, SensorUnavailable
from garrison.sensors.events import sensor_status
from garrison.sensors.proc_events import (
    CN_IDX_PROC,
    NETLINK_CONNECTOR,
    PROC_CN_MCAST_IGNORE,
    ProcEvent,
    parse_datagram,
    subscribe_message,
)
from garrison.sensors.procfs import ProcSnapshot, read_ppids, read_snapshot
from garrison.sensors.tree import ProcessTree

__all__ = ["POLLING_WARNING", "ProcessSensor"]

RECV_BUFFER_BYTES = 8 * 1024 * 1024
BATCH_EVENTS = 4096
POLLING_WARNING = ("process events from the kernel are unavailable ({reason}); falling back to polling /proc "
                   "every {interval}s: processes that start and exit between two polls WILL BE MISSED")


def _open_netlink() -> socket.socket:
    if not hasattr(socket, "AF_NETLINK"):
        raise SensorUnavailable("this system has no netlink sockets")
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
    except OSError as err:
        raise SensorUnavailable(f"cannot open a proc connector socket: {err.strerror or err}") from None
    try:
        for option in (33, socket.SO_RCVBUF):  # SO_RCVBUFFORCE (root) first, then the capped request
            try:
                sock.setsockopt(socket.SOL_SOCKET, option, RECV_BUFFER_BYTES)
                break
            except OSError:
                continue
        sock.bind((0, CN_IDX_PROC))
        sock.send(subscribe_message(sock.getsockname()[0]))
    except OSError as err:
        sock.close()
        hint = " (needs root or CAP_NET_ADMIN)" if err.errno in (errno.EPERM, errno.EACCES) else ""
        raise SensorUnavailable(f"cannot subscribe to process events: {err.strerror or err}{hint}") from None
    sock.setblocking(False)
    return sock


class ProcessSensor:
    """Feeds ``tree`` from the kernel (or from ``/proc`` polling) and emits its events."""

    def __init__(self, tree: ProcessTree, emit: Emit, *, backend: str = "auto", poll_interval: float = 0.25,
                 proc: str = "/proc", clock: Callable[[], float] = _time.time) -> None:
        self._tree = tree
        self._emit = emit
        self._backend = backend
        self._interval = poll_interval
        self._proc = proc
        self._clock = clock
        self._thread = SensorThread("process")
        self._sock: socket.socket | None = None
        self._offset = clock() - _time.monotonic()
        self._drain_lock = threading.Lock()
        self.lost = 0
        self.state = SensorState("process", "off", "not started")

    @property
    def error(self) -> BaseException | None:
        return self._thread.error

    def start(self) -> SensorState:
        reason = "polling was requested"
        if self._backend in ("auto", "netlink"):
            try:
                self._sock = _open_netlink()
            except SensorUnavailable as err:
                if self._backend == "netlink":
                    raise UsageError(f"the netlink backend was required but {err}", where="process sensor") from None
                reason = str(err)
        if self._sock is not None:
            self.state = SensorState("process", "netlink", "kernel proc connector: every fork, exec and exit")
            self._thread.start(self._run_netlink)
        else:
            message = POLLING_WARNING.format(reason=reason, interval=self._interval)
            self.state = SensorState("process", "polling", message, degraded=True)
            self._thread.start(self._run_polling)
        self._emit(sensor_status("process", self.state.mode, self.state.message, time=self._clock()))
        return self.state

    def stop(self) -> None:
        self._thread.stop()
        if self._sock is not None:
            try:
                self._sock.send(subscribe_message(self._sock.getsockname()[0], PROC_CN_MCAST_IGNORE))
            except OSError:
                pass
            self._sock.close()
            self._sock = None
        if self.lost:
            self._emit(sensor_status("process", "lost", "the kernel dropped process events: the socket buffer "
                                     "overflowed", time=self._clock(), Lost=self.lost))

    # -- netlink -------------------------------------------------------------------------------------------
    def _run_netlink(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._thread.stopping:
            if self._thread.wait_readable(sock.fileno(), 0.5):
                self._drain(sock)
        # Everything the kernel reported before stop was asked is already queued on the socket.
        self._drain(sock)

    def sync(self) -> None:
        """Apply every process event the kernel has reported so far (called by other sensors before they
        decide a pid is not watched)."""
        sock = self._sock
        if sock is None:
            return
        try:
            self._drain(sock)
        except OSError:
            return  # closed by stop() meanwhile

    def _drain(self, sock: socket.socket) -> None:
        with self._drain_lock:
            self._drain_locked(sock)

    def _drain_locked(self, sock: socket.socket) -> None:
        while True:
            batch: list[ProcEvent] = []
            snaps: dict[int, ProcSnapshot | None] = {}
            born: set[int] = set()  # children of watched processes forked within this batch
            while len(batch) < BATCH_EVENTS:
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    break
                except OSError as err:
                    if err.errno == errno.ENOBUFS:
                        self.lost += 1
                        continue
                    raise
                events, overrun = parse_datagram(data)
                self.lost += overrun
                for event in events:
                    if event.is_thread:
                        continue
                    if event.kind == "fork" and (event.parent_tgid in born
                                                 or self._tree.follows_children_of(event.parent_tgid)):
                        born.add(event.tgid)
                    elif event.kind == "exec" and (event.tgid in born or self._tree.is_watched(event.tgid)):
                        # Read at once: a short-lived process is gone within a millisecond.
                        snaps[len(batch)] = read_snapshot(event.tgid, self._proc)
                    batch.append(event)
            if not batch:
                return
            self._apply(batch, snaps)

    def _apply(self, batch: list[ProcEvent], snaps: dict[int, ProcSnapshot | None]) -> None:
        # /proc shows the process as it is now: if the same process exec'd again later in the batch, what
        # was read may belong to that later exec, not to this one.
        last_exec = {event.tgid: i for i, event in enumerate(batch) if event.kind == "exec"}
        for i, event in enumerate(batch):
            snap = snaps.get(i) if last_exec.get(event.tgid) == i else None
            stamp = event.timestamp_ns / 1e9 + self._offset
            for out in self._tree.apply(event, snap, time=stamp):
                self._emit(out)

    # -- polling -------------------------------------------------------------------------------------------
    def _run_polling(self) -> None:
        while True:
            ppids = read_ppids(self._proc)
            for out in self._tree.poll(ppids, lambda pid: read_snapshot(pid, self._proc), time=self._clock()):
                self._emit(out)
            if self._thread.stopping:
                return
            self._thread.wait_readable(None, self._interval)
