"""The process tree of watched roots: kernel process events in, Garrison events out (no I/O).

A process is watched when it is a root or descends from one (by fork, or by parent pid when attaching to a
running tree). GUIDs are per process (pid + start stamp) and kept across ``exec``. Exited processes stay
known for a while so late reports (a file open read after the opener exited) are still attributed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping

from garrison.model import Event
from garrison.sensors.events import ProcessInfo, process_creation, process_guid, process_termination
from garrison.sensors.proc_events import ProcEvent, exit_status
from garrison.sensors.procfs import ProcSnapshot

__all__ = ["MAX_RECENT_EXITED", "MAX_WATCHED", "ProcessTree"]

MAX_WATCHED = 32_768
"""Live watched processes; forks past this are not followed (a ``limit`` status event says so)."""
MAX_RECENT_EXITED = 4_096


class ProcessTree:
    """Thread-safe: one sensor thread applies kernel events, others look processes up."""

    def __init__(self, boot: str, *, user_of: Callable[[int], str] = str, max_watched: int = MAX_WATCHED) -> None:
        self._boot = boot
        self._user_of = user_of
        self._max = max_watched
        self._live: dict[int, ProcessInfo] = {}
        self._exited: OrderedDict[int, ProcessInfo] = OrderedDict()
        self._adopt: tuple[int, str] | None = None
        self._outside: dict[int, ProcessInfo] = {}
        """Unwatched parents of roots, so a root's events can name its ``ParentImage``."""
        self._lock = threading.Lock()
        self.overflowed = 0
        """Forks not followed because ``max_watched`` was reached."""

    # -- queries -------------------------------------------------------------------------------------------
    def lookup(self, pid: int) -> ProcessInfo | None:
        """A live watched process, or one that exited recently."""
        with self._lock:
            return self._live.get(pid) or self._exited.get(pid)

    def is_watched(self, pid: int) -> bool:
        with self._lock:
            return pid in self._live

    def live(self) -> list[ProcessInfo]:
        with self._lock:
            return list(self._live.values())

    def follows_children_of(self, pid: int) -> bool:
        """Whether a process forked by ``pid`` now would be watched."""
        with self._lock:
            return pid in self._live or (self._adopt is not None and self._adopt[0] == pid)

    def needs_snapshot(self, event: ProcEvent) -> bool:
        """Whether :meth:`apply` wants ``/proc`` read for this event (exec of a watched process)."""
        if event.kind != "exec":
            return False
        with self._lock:
            return event.tgid in self._live

    # -- roots -----------------------------------------------------------------------------------------------
    def _info(self, snap: ProcSnapshot, server: str, parent_guid: str | None, start: int) -> ProcessInfo:
        return ProcessInfo(
            pid=snap.pid,
            ppid=snap.ppid or 0,
            guid=process_guid(self._boot, snap.pid, start),
            parent_guid=parent_guid,
            server=server,
            image=snap.image,
            command_line=snap.command_line,
            cwd=snap.cwd,
            user=None if snap.uid is None else self._user_of(snap.uid),
        )

    def _note_parent(self, parent: ProcSnapshot | None, server: str) -> None:
        if parent is not None and parent.pid not in self._live and len(self._outside) < MAX_RECENT_EXITED:
            self._outside[parent.pid] = self._info(parent, server, None, parent.start_ticks or 0)

    def _parent(self, ppid: int) -> ProcessInfo | None:
        return self._live.get(ppid) or self._exited.get(ppid) or self._outside.get(ppid)

    def attach(self, snaps: Iterable[ProcSnapshot], server: str, *, time: float,
               parent: ProcSnapshot | None = None) -> list[Event]:
        """Watch running processes: the first is the root, the rest its descendants (parents before
        children). Each gets an ``attached`` process_creation event. ``parent`` is the root's own parent."""
        out: list[Event] = []
        with self._lock:
            self._note_parent(parent, server)
            for snap in snaps:
                if snap.pid in self._live:
                    continue
                parent_info = self._parent(snap.ppid or -1)
                info = self._info(snap, server, parent_info.guid if parent_info else None, snap.start_ticks or 0)
                self._live[snap.pid] = info
                out.append(process_creation(info, parent_info, time=time, enrichment="attached"))
        return out

    def expect(self, snap: ProcSnapshot, server: str, *, parent: ProcSnapshot | None = None) -> None:
        """Watch a process this program just launched; its exec event (if still to come) reports it."""
        with self._lock:
            self._note_parent(parent, server)
            if snap.pid not in self._live:
                self._live[snap.pid] = self._info(snap, server, None, snap.start_ticks or 0)

    def adopt_children_of(self, launcher: ProcSnapshot, server: str) -> None:
        """Until :meth:`stop_adopting`, treat any process forked by ``launcher`` as a new root of ``server``."""
        with self._lock:
            self._note_parent(launcher, server)
            self._adopt = (launcher.pid, server)

    def stop_adopting(self) -> None:
        with self._lock:
            self._adopt = None

    # -- kernel events --------------------------------------------------------------------------------------
    def apply(self, event: ProcEvent, snap: ProcSnapshot | None, *, time: float) -> list[Event]:
        """Apply one kernel event. ``snap`` is ``/proc/<tgid>`` read right after an exec (``None`` if gone)."""
        if event.is_thread:
            return []
        with self._lock:
            if event.kind == "fork":
                return self._fork(event)
            if event.kind == "exec":
                return self._exec(event, snap, time)
            if event.kind == "exit":
                return self._exit(event, time)
        return []

    def _fork(self, event: ProcEvent) -> list[Event]:
        if event.tgid in self._live:
            return []
        parent = self._live.get(event.parent_tgid)
        if parent is not None:
            server = parent.server
        elif self._adopt is not None and self._adopt[0] == event.parent_tgid:
            server = self._adopt[1]
            parent = self._outside.get(event.parent_tgid)
        else:
            return []
        if len(self._live) >= self._max:
            self.overflowed += 1
            return []
        self._live[event.tgid] = ProcessInfo(
            pid=event.tgid,
            ppid=event.parent_tgid,
            guid=process_guid(self._boot, event.tgid, event.timestamp_ns),
            parent_guid=parent.guid if parent else None,
            server=server,
            image=parent.image if parent else None,
            command_line=parent.command_line if parent else None,
            cwd=parent.cwd if parent else None,
            user=parent.user if parent else None,
        )
        return []

    def _exec(self, event: ProcEvent, snap: ProcSnapshot | None, time: float) -> list[Event]:
        info = self._live.get(event.tgid)
        if info is None:
            return []
        parent = self._parent(info.ppid)
        if snap is not None and snap.pid == event.tgid and snap.complete:
            info.image = snap.image
            info.command_line = snap.command_line
            info.cwd = snap.cwd
            if snap.uid is not None:
                info.user = self._user_of(snap.uid)
            enrichment = "complete"
        else:
            # The new program is unknown: what the fork inherited from the parent no longer applies.
            info.image = snap.image if snap is not None else None
            info.command_line = snap.command_line if snap is not None else None
            if snap is not None and snap.cwd is not None:
                info.cwd = snap.cwd
            enrichment = "partial"
        return [process_creation(info, parent, time=time, enrichment=enrichment)]

    def _exit(self, event: ProcEvent, time: float) -> list[Event]:
        info = self._live.pop(event.tgid, None)
        if info is None:
            return []
        info.alive = False
        self._exited[info.pid] = info
        while len(self._exited) > MAX_RECENT_EXITED:
            self._exited.popitem(last=False)
        code = None if event.exit_code is None else exit_status(event.exit_code)
        return [process_termination(info, time=time, exit_code=code)]

    # -- polling ---------------------------------------------------------------------------------------------
    def poll(self, ppids: Mapping[int, int], read: Callable[[int], ProcSnapshot | None], *,
             time: float) -> list[Event]:
        """Fallback without kernel events: reconcile with a ``/proc`` listing (pid → parent pid).

        New processes whose parent is watched are reported (``read`` gives their details); watched processes
        no longer listed are reported as exited (exit code unknown). Processes that start and end between two
        listings are never seen.
        """
        out: list[Event] = []
        with self._lock:
            pending = sorted(pid for pid in ppids if pid not in self._live)
            grew = True
            while grew:
                grew = False
                for pid in list(pending):
                    parent = self._live.get(ppids[pid])
                    if parent is None:
                        continue
                    pending.remove(pid)
                    snap = read(pid)
                    if snap is None:
                        continue
                    info = self._info(snap, parent.server, parent.guid, snap.start_ticks or 0)
                    info.ppid = parent.pid
                    self._live[pid] = info
                    grew = True
                    out.append(process_creation(info, parent, time=time,
                                                enrichment="complete" if snap.complete else "partial"))
            for pid in [p for p in self._live if p not in ppids]:
                info = self._live.pop(pid)
                info.alive = False
                self._exited[pid] = info
                out.append(process_termination(info, time=time, exit_code=None))
            while len(self._exited) > MAX_RECENT_EXITED:
                self._exited.popitem(last=False)
        return out
