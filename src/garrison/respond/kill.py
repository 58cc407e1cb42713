"""Stopping a process tree, safely: the right process, all of it, children first.

A pid alone is not an identity: once a process exits its pid can be given to another. So the root is opened
as a *pidfd* (a handle that keeps naming that one process), its start time is read from ``/proc`` and
compared with when the storyline saw it (``seen_at``: a process cannot have started after it was seen), and
every signal goes through a pidfd. The tree is first frozen (``SIGSTOP``, parents first, so nothing forks
while it is taken apart), then killed deepest first, the root last.

:func:`plan_order` is the pure part; :func:`kill_tree` is the edge (``/proc`` and signals), with the reading
and signalling functions injectable for tests.
"""

from __future__ import annotations

import os
import signal
import time as _time
from collections.abc import Callable, Mapping

from garrison.respond.results import ActionResult
from garrison.sensors.procfs import DEFAULT_PROC, descendants, read_ppids, read_snapshot

__all__ = ["START_TOLERANCE", "kill_tree", "plan_order", "process_start"]

START_TOLERANCE = 1.0
"""Seconds of slack between the start time ``/proc`` gives and the time the sensor stamped on the event."""


def plan_order(root: int, ppids: Mapping[int, int]) -> tuple[int, ...]:
    """The kill order of ``root``'s tree: every descendant before its parent, the root last."""
    return tuple(reversed(descendants(root, ppids)))


def process_start(pid: int, proc: str = DEFAULT_PROC) -> float | None:
    """When ``pid`` started, in epoch seconds (``None`` if it does not exist)."""
    snap = read_snapshot(pid, proc)
    if snap is None or snap.start_ticks is None:
        return None
    try:
        with open(f"{proc}/stat", encoding="ascii") as handle:
            btime = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
    except (OSError, StopIteration, ValueError):
        return None
    return btime + snap.start_ticks / os.sysconf("SC_CLK_TCK")


def _refuse(pid: int, detail: str, now: float) -> ActionResult:
    return ActionResult("kill_process_tree", f"pid {pid}", executed=False, ok=False, detail=detail, time=now)


def _send(fd: int, sig: int) -> None:
    signal.pidfd_send_signal(fd, sig)


def kill_tree(pid: int, *, seen_at: float | None, execute: bool, proc: str = DEFAULT_PROC,
              clock: Callable[[], float] = _time.time, send: Callable[[int, int], None] = _send) -> ActionResult:
    """Kill ``pid`` and its descendants (dry run unless ``execute``). Refused when ``pid`` is this process,
    pid 1 or 0, gone, or started after ``seen_at`` (+ :data:`START_TOLERANCE`): then it is not the process
    the alert is about."""
    now = clock()
    if not hasattr(os, "pidfd_open"):
        return _refuse(pid, "killing a process tree needs Linux (pidfd)", now)
    if pid <= 1 or pid == os.getpid():
        return _refuse(pid, "refusing to kill init or Garrison itself", now)
    try:
        root_fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return _refuse(pid, "no such process (it has exited)", now)
    except OSError as err:
        return _refuse(pid, f"cannot open the process: {err.strerror or err}", now)
    fds: dict[int, int] = {pid: root_fd}
    try:
        started = process_start(pid, proc)
        if started is None:
            return _refuse(pid, "no such process (it has exited)", now)
        if seen_at is not None and started > seen_at + START_TOLERANCE:
            return _refuse(pid, f"pid {pid} was reused: this process started at {started:.3f}, after the "
                                f"alerted one was seen ({seen_at:.3f})", now)
        if os.getpid() in descendants(pid, read_ppids(proc)):
            return _refuse(pid, "refusing to kill a tree that contains Garrison itself", now)
        if execute:
            send(root_fd, signal.SIGSTOP)
        order = plan_order(pid, read_ppids(proc))
        images = {p: (s.image or "?") if (s := read_snapshot(p, proc)) else "?" for p in order}
        listing = ", ".join(f"{p} {images[p].rsplit('/', 1)[-1]}" for p in order)
        if not execute:
            return ActionResult("kill_process_tree", f"pid {pid}", executed=False, ok=True,
                                detail=f"would stop and kill {len(order)} process(es): {listing}", time=now)
        for child in reversed(order[:-1]):  # parents first: freeze before anyone forks again
            try:
                fds[child] = os.pidfd_open(child)
                send(fds[child], signal.SIGSTOP)
            except ProcessLookupError:
                continue
        killed = []
        for target in order:
            fd = fds.get(target)
            if fd is None:
                continue
            try:
                send(fd, signal.SIGKILL)
                killed.append(target)
            except ProcessLookupError:
                continue
        return ActionResult("kill_process_tree", f"pid {pid}", executed=True, ok=pid in killed,
                            detail=f"killed {len(killed)} process(es): {listing}", time=clock())
    finally:
        for fd in fds.values():
            os.close(fd)
