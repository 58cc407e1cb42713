"""``Watcher``: every sensor on one process tree, delivering events to one sink.

::

    with Watcher([server_pid], sink=events.append, options=WatchOptions(server="files")) as watcher:
        watcher.wait()          # until the root processes exit

    with Watcher(Command(("python", "server.py")), sink) as watcher:
        watcher.wait()          # until the launched command exits; returns its exit status

Sensors run on their own threads and hand events to a bounded queue; one dispatcher thread calls ``sink``.
If the queue ever fills, events are counted, never dropped silently: an ``overflow`` status event reports
how many were lost. Each sensor reports its backend (or why it fell back) as a status event first.
"""

from __future__ import annotations

import os
import queue
import select
import subprocess
import threading
import time as _time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Literal

from garrison.errors import ServerLaunchError, UsageError
from garrison.model import Event
from garrison.sensors.base import SensorState
from garrison.sensors.events import sensor_status
from garrison.sensors.files import FileSensor
from garrison.sensors.memory import MemorySensor
from garrison.sensors.network import NetworkSensor
from garrison.sensors.paths import SensitivePath, expand, load_sensitive_paths
from garrison.sensors.process import ProcessSensor
from garrison.sensors.procfs import ProcSnapshot, boot_id, descendants, read_ppids, read_snapshot, user_name
from garrison.sensors.tree import ProcessTree

__all__ = ["Command", "WatchOptions", "Watcher"]

Sink = Callable[[Event], None]
_STOP = object()


@dataclass(frozen=True, slots=True)
class Command:
    """A command for the watcher to launch and watch from its very first instruction."""

    argv: tuple[str, ...]
    cwd: str | None = None
    env: Mapping[str, str] | None = None
    stdin: int | None = None
    stdout: int | None = None
    """File descriptor for the command's stdout (``None``: inherit)."""


@dataclass(frozen=True, slots=True)
class WatchOptions:
    server: str | None = None
    """Name of the MCP server the tree belongs to (default: the root's program name)."""
    process_backend: Literal["auto", "netlink", "polling"] = "auto"
    file_backend: Literal["auto", "fanotify", "inotify", "off"] = "auto"
    network: bool = True
    memory: bool = True
    home: str | None = None
    """Home directory whose ``~/`` entries are watched (default: ``$HOME``)."""
    sensitive_paths: tuple[SensitivePath, ...] | None = None
    """Paths to watch (default: the packaged list)."""
    poll_interval: float = 0.25
    network_interval: float = 0.1
    memory_interval: float = 0.5
    queue_size: int = 65_536
    proc: str = "/proc"


class Watcher:
    def __init__(self, roots: Sequence[int] | Command, sink: Sink, options: WatchOptions | None = None, *,
                 clock: Callable[[], float] = _time.time) -> None:
        if not isinstance(roots, Command) and not roots:
            raise UsageError("nothing to watch: give one or more pids or a command")
        self._roots = roots
        self._sink = sink
        self.options = options or WatchOptions()
        self._clock = clock
        self._queue: queue.Queue[object] = queue.Queue(maxsize=self.options.queue_size)
        self._dropped = 0
        self._dropped_lock = threading.Lock()
        self._prefix = uuid.uuid4().hex[:12]
        self._counter = 0
        self._sink_error: BaseException | None = None
        self._dispatcher: threading.Thread | None = None
        self.tree = ProcessTree(boot_id(self.options.proc), user_of=user_name)
        self._process: ProcessSensor | None = None
        self._others: list[FileSensor | NetworkSensor | MemorySensor] = []
        self.popen: subprocess.Popen[bytes] | None = None
        self.root_pids: tuple[int, ...] = ()
        self.dropped_total = 0
        self._stopped = False

    # -- lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop(raise_errors=kind is None)

    async def __aenter__(self) -> Watcher:
        import anyio.to_thread

        await anyio.to_thread.run_sync(self.start)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, value: BaseException | None,
                        tb: TracebackType | None) -> None:
        import anyio.to_thread

        await anyio.to_thread.run_sync(lambda: self.stop(raise_errors=kind is None))

    @property
    def states(self) -> tuple[SensorState, ...]:
        sensors = ([self._process] if self._process else []) + self._others
        return tuple(s.state for s in sensors)

    @property
    def complete(self) -> bool:
        """False when a sensor fell back or turned off, or events were lost or dropped."""
        lost = (self._process.lost if self._process else 0) + sum(
            s.lost for s in self._others if isinstance(s, FileSensor))
        return not any(s.degraded for s in self.states) and not lost and not self.dropped_total

    def start(self) -> None:
        if self._dispatcher is not None or self._stopped:
            raise UsageError("a Watcher starts once")
        opts = self.options
        self._dispatcher = threading.Thread(target=self._dispatch, name="garrison-watch-sink", daemon=True)
        self._dispatcher.start()
        try:
            self._process = ProcessSensor(self.tree, self._emit, backend=opts.process_backend,
                                          poll_interval=opts.poll_interval, proc=opts.proc, clock=self._clock)
            self._process.start()
            if opts.file_backend != "off":
                entries = opts.sensitive_paths if opts.sensitive_paths is not None else load_sensitive_paths()
                home = opts.home or os.environ.get("HOME") or "/root"
                self._others.append(FileSensor(self.tree, self._emit, expand(entries, home),
                                               backend=opts.file_backend, sync=self._process.sync,
                                               clock=self._clock))
            if opts.network:
                self._others.append(NetworkSensor(self.tree, self._emit, interval=opts.network_interval,
                                                  proc=opts.proc, clock=self._clock))
            if opts.memory:
                self._others.append(MemorySensor(self.tree, self._emit, interval=opts.memory_interval,
                                                 proc=opts.proc, clock=self._clock))
            for sensor in self._others:
                sensor.start()
            if isinstance(self._roots, Command):
                self._launch(self._roots)
            else:
                self._attach(self._roots)
        except BaseException:
            self.stop(raise_errors=False)
            raise

    def stop(self, *, raise_errors: bool = True) -> None:
        """Stop every sensor, deliver what they saw, then report overflow. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        for sensor in reversed(self._others):
            sensor.stop()
        if self._process is not None:
            self._process.stop()
        errors = [s.error for s in [*self._others, *([self._process] if self._process else [])] if s.error]
        if self._dispatcher is not None:
            self._queue.put(_STOP)
            self._dispatcher.join()
            self._dispatcher = None
            self._report_dropped()
        if raise_errors and self._sink_error is not None:
            raise self._sink_error
        if raise_errors and errors:
            raise errors[0]

    # -- roots -----------------------------------------------------------------------------------------------
    def _server_name(self, snap: ProcSnapshot | None, fallback: str) -> str:
        if self.options.server:
            return self.options.server
        if snap is not None and snap.argv:
            return os.path.basename(snap.argv[0]) or fallback
        return fallback

    def _attach(self, pids: Sequence[int]) -> None:
        proc = self.options.proc
        for pid in pids:
            snap = read_snapshot(pid, proc)
            if snap is None:
                raise UsageError("no such process", where=f"pid {pid}")
            server = self._server_name(snap, str(pid))
            parent = read_snapshot(snap.ppid, proc) if snap.ppid else None
            for _ in range(2):  # again after syncing: a child forked while the first listing was read
                order = descendants(pid, read_ppids(proc))
                snaps = [s for s in (read_snapshot(p, proc) for p in order) if s is not None]
                for event in self.tree.attach(snaps, server, time=self._clock(), parent=parent):
                    self._emit(event)
                if self._process is not None:
                    self._process.sync()
        self.root_pids = tuple(pids)

    def _launch(self, command: Command) -> None:
        if not command.argv:
            raise UsageError("no command to launch")
        server = self.options.server or os.path.basename(command.argv[0])
        polling = self._process is not None and self._process.state.mode == "polling"
        me = read_snapshot(os.getpid(), self.options.proc)
        if not polling and me is not None:
            self.tree.adopt_children_of(me, server)
        try:
            self.popen = subprocess.Popen(
                list(command.argv), cwd=command.cwd, env=None if command.env is None else dict(command.env),
                stdin=command.stdin, stdout=command.stdout)
        except OSError as err:
            self.tree.stop_adopting()
            raise ServerLaunchError(f"cannot start the command: {err.strerror or err}",
                                    where=command.argv[0]) from None
        pid = self.popen.pid
        snap = read_snapshot(pid, self.options.proc) or ProcSnapshot(pid, os.getpid(), None, command.argv, None,
                                                                     None, None, None)
        if polling:
            for event in self.tree.attach([snap], server, time=self._clock(), parent=me):
                self._emit(event)
        else:
            # Registered before adoption ends: whichever of this and the kernel's fork event comes first wins,
            # and the exec event that follows is reported either way.
            self.tree.expect(snap, server, parent=me)
            self.tree.stop_adopting()
        self.root_pids = (pid,)

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the launched command (its exit status) or for every root pid to exit (``0``).
        ``None`` when ``timeout`` passed first."""
        if self.popen is not None:
            try:
                return self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                return None
        deadline = None if timeout is None else _time.monotonic() + timeout
        for pid in self.root_pids:
            try:
                fd = os.pidfd_open(pid)
            except ProcessLookupError:
                continue
            try:
                left = None if deadline is None else max(0.0, deadline - _time.monotonic())
                ready, _, _ = select.select([fd], [], [], left)
                if not ready:
                    return None
            finally:
                os.close(fd)
        return 0

    # -- delivery --------------------------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            with self._dropped_lock:
                self._dropped += 1
                self.dropped_total += 1

    def _report_dropped(self) -> None:
        with self._dropped_lock:
            dropped, self._dropped = self._dropped, 0
        if dropped:
            self._deliver(sensor_status("watcher", "overflow", f"the event queue was full: {dropped} events "
                                        "were dropped", time=self._clock(), Dropped=dropped))

    def _deliver(self, event: Event) -> None:
        if self._sink_error is not None:
            return
        self._counter += 1
        try:
            self._sink(replace(event, id=f"{self._prefix}-{self._counter}"))
        except Exception as err:  # reported by stop(); later events are not delivered to a broken sink
            self._sink_error = err

    def _dispatch(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, Event)
            self._deliver(item)
            if self._dropped:
                self._report_dropped()
