"""File sensor: opens of sensitive paths (keys, cloud credentials, MCP client configs, persistence spots).

Preferred backend: fanotify (``FAN_CLASS_NOTIF``, ``FAN_OPEN`` and ``FAN_CLOSE_WRITE``), which names the
opening process, so an open is reported only when a watched process made it. Needs ``CAP_SYS_ADMIN`` (root).
Each event carries an open file descriptor; its path is read from ``/proc/self/fd/<fd>`` and the fd closed.

Fallback: inotify, which does not say who opened the file. Every open of a sensitive path by anyone is then
reported with ``Image: unknown`` and ``Attribution: unknown``.

Directories are watched to ``max_depth`` levels below the listed path; a listed path that does not exist is
watched through its parent directory, so a file created later is seen.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import struct
import time as _time
from collections.abc import Callable

from garrison.errors import UsageError
from garrison.sensors.base import Emit, SensorState, SensorThread, SensorUnavailable
from garrison.sensors.events import file_access, sensor_status
from garrison.sensors.paths import SensitivePath, match
from garrison.sensors.tree import ProcessTree

__all__ = ["FileSensor", "mark_targets"]

FAN_CLOSE_WRITE = 0x00000008
FAN_OPEN = 0x00000020
FAN_Q_OVERFLOW = 0x00004000
FAN_ONDIR = 0x40000000
FAN_EVENT_ON_CHILD = 0x08000000
FAN_CLOEXEC = 0x00000001
FAN_NONBLOCK = 0x00000002
FAN_CLASS_NOTIF = 0x00000000
FAN_MARK_ADD = 0x00000001
AT_FDCWD = -100
_FAN_META = struct.Struct("=IBBHQii")

IN_CLOSE_WRITE = 0x00000008
IN_OPEN = 0x00000020
IN_Q_OVERFLOW = 0x00004000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC
_IN_EVENT = struct.Struct("=iIII")

MAX_MARKS = 512
MAX_DEPTH = 3


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def mark_targets(entries: tuple[SensitivePath, ...], *, max_depth: int = MAX_DEPTH,
                 max_marks: int = MAX_MARKS) -> tuple[list[tuple[str, bool]], int]:
    """``(path, is_directory)`` to watch for ``entries``, and how many were left out past ``max_marks``."""
    out: dict[str, bool] = {}
    left_out = 0

    def add(path: str, is_dir: bool) -> None:
        nonlocal left_out
        if path in out:
            return
        if len(out) >= max_marks:
            left_out += 1
            return
        out[path] = is_dir

    for entry in entries:
        path = entry.path
        if os.path.isdir(path) and not os.path.islink(path):
            base_depth = path.rstrip("/").count("/")
            for current, dirs, _files in os.walk(path):
                add(current, True)
                if current.count("/") - base_depth >= max_depth:
                    dirs.clear()
        elif os.path.exists(path):
            add(path, False)
        elif os.path.isdir(os.path.dirname(path)):
            add(os.path.dirname(path), True)
    return list(out.items()), left_out


class FileSensor:
    def __init__(self, tree: ProcessTree, emit: Emit, entries: tuple[SensitivePath, ...], *,
                 backend: str = "auto", sync: Callable[[], None] | None = None,
                 clock: Callable[[], float] = _time.time) -> None:
        self._tree = tree
        self._emit = emit
        self._entries = entries
        self._backend = backend
        self._sync = sync or (lambda: None)
        self._clock = clock
        self._thread = SensorThread("files")
        self._fd = -1
        self._wds: dict[int, str] = {}
        self._own = os.getpid()
        self.lost = 0
        self.state = SensorState("files", "off", "not started")

    @property
    def error(self) -> BaseException | None:
        return self._thread.error

    def start(self) -> SensorState:
        targets, left_out = mark_targets(self._entries)
        reason = "inotify was requested"
        mode = ""
        if self._backend in ("auto", "fanotify"):
            try:
                self._fd = self._open_fanotify(targets)
                mode = "fanotify"
            except SensorUnavailable as err:
                if self._backend == "fanotify":
                    raise UsageError(f"the fanotify backend was required but {err}", where="file sensor") from None
                reason = str(err)
        if not mode:
            try:
                self._fd = self._open_inotify(targets)
                mode = "inotify"
            except SensorUnavailable as err:
                self.state = SensorState("files", "off", f"file opens are NOT watched: {reason}; {err}", True)
                self._emit(sensor_status("files", "off", self.state.message, time=self._clock()))
                return self.state
        count = f"{len(targets)} paths" + (f" ({left_out} more left out past the mark limit)" if left_out else "")
        if mode == "fanotify":
            self.state = SensorState("files", mode, f"fanotify on {count}: opens attributed to the process",
                                     degraded=bool(left_out))
        else:
            self.state = SensorState("files", mode, f"fanotify unavailable ({reason}); inotify on {count}: "
                                     "opens are NOT attributed to a process (reported as 'unknown')", True)
        self._emit(sensor_status("files", mode, self.state.message, time=self._clock()))
        self._thread.start(self._run_fanotify if mode == "fanotify" else self._run_inotify)
        return self.state

    def stop(self) -> None:
        self._thread.stop()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self.lost:
            self._emit(sensor_status("files", "lost", "the kernel's file event queue overflowed",
                                     time=self._clock(), Lost=self.lost))

    # -- fanotify --------------------------------------------------------------------------------------------
    def _open_fanotify(self, targets: list[tuple[str, bool]]) -> int:
        libc = _libc()
        if not hasattr(libc, "fanotify_init"):
            raise SensorUnavailable("the C library has no fanotify")
        libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int, ctypes.c_char_p]
        fd = libc.fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK, os.O_RDONLY | os.O_LARGEFILE)
        if fd < 0:
            code = ctypes.get_errno()
            hint = " (needs root or CAP_SYS_ADMIN)" if code in (errno.EPERM, errno.EACCES) else ""
            raise SensorUnavailable(f"fanotify_init failed: {os.strerror(code)}{hint}")
        for path, is_dir in targets:
            mask = FAN_OPEN | FAN_CLOSE_WRITE | (FAN_EVENT_ON_CHILD | FAN_ONDIR if is_dir else 0)
            if libc.fanotify_mark(fd, FAN_MARK_ADD, mask, AT_FDCWD, os.fsencode(path)) < 0:
                code = ctypes.get_errno()
                if code in (errno.ENOENT, errno.ENOTDIR):
                    continue  # removed since it was listed
                os.close(fd)
                raise SensorUnavailable(f"fanotify_mark failed on {path}: {os.strerror(code)}")
        return int(fd)

    def _run_fanotify(self) -> None:
        while not self._thread.stopping:
            if self._thread.wait_readable(self._fd, 0.5):
                self._read_fanotify()
        self._read_fanotify()

    def _read_fanotify(self) -> None:
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                return
            offset = 0
            while offset + _FAN_META.size <= len(data):
                length, _ver, _res, _meta, mask, fd, pid = _FAN_META.unpack_from(data, offset)
                offset += max(length, _FAN_META.size)
                if mask & FAN_Q_OVERFLOW:
                    self.lost += 1
                if fd < 0:
                    continue
                try:
                    path = os.readlink(f"/proc/self/fd/{fd}")
                except OSError:
                    path = ""
                finally:
                    os.close(fd)
                if path and pid != self._own:
                    self._report(path, pid, "write" if mask & FAN_CLOSE_WRITE else "open")

    def _report(self, path: str, pid: int, access: str) -> None:
        if match(path, self._entries) is None:
            return
        info = self._tree.lookup(pid)
        if info is None:
            self._sync()  # the fork of the opener may still be queued on the process sensor
            info = self._tree.lookup(pid)
        if info is not None:
            self._emit(file_access(path, info, pid=pid, time=self._clock(), attribution="pid", access=access))

    # -- inotify ---------------------------------------------------------------------------------------------
    def _open_inotify(self, targets: list[tuple[str, bool]]) -> int:
        libc = _libc()
        fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if fd < 0:
            raise SensorUnavailable(f"inotify_init1 failed: {os.strerror(ctypes.get_errno())}")
        for path, _is_dir in targets:
            wd = libc.inotify_add_watch(fd, os.fsencode(path), IN_OPEN | IN_CLOSE_WRITE)
            if wd >= 0:
                self._wds[wd] = path
        return int(fd)

    def _run_inotify(self) -> None:
        while not self._thread.stopping:
            if self._thread.wait_readable(self._fd, 0.5):
                self._read_inotify()
        self._read_inotify()

    def _read_inotify(self) -> None:
        while True:
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                return
            offset = 0
            while offset + _IN_EVENT.size <= len(data):
                wd, mask, _cookie, size = _IN_EVENT.unpack_from(data, offset)
                raw = data[offset + _IN_EVENT.size:offset + _IN_EVENT.size + size]
                offset += _IN_EVENT.size + size
                if mask & IN_Q_OVERFLOW:
                    self.lost += 1
                    continue
                base = self._wds.get(wd)
                if base is None:
                    continue
                name = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
                path = f"{base}/{name}" if name else base
                if match(path, self._entries) is not None:
                    self._emit(file_access(path, None, pid=None, time=self._clock(), attribution="unknown",
                                           access="write" if mask & IN_CLOSE_WRITE else "open"))
