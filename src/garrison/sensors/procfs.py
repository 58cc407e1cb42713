"""Reading ``/proc/<pid>``: what a process is (image, command line, cwd, user, parent, tracer).

Every reader takes ``proc`` (the procfs mount) so tests can point it elsewhere, and returns ``None`` or an
empty value when the process is gone: a short-lived process often exits before it can be read.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "MAX_CMDLINE_BYTES",
    "ProcSnapshot",
    "boot_id",
    "descendants",
    "iter_pids",
    "parse_status",
    "read_environ",
    "read_ppids",
    "read_snapshot",
    "read_text",
    "socket_inodes",
    "user_name",
]

MAX_CMDLINE_BYTES = 64 * 1024
MAX_ENVIRON_BYTES = 1024 * 1024
DEFAULT_PROC = "/proc"


@dataclass(frozen=True, slots=True)
class ProcSnapshot:
    """What ``/proc/<pid>`` said at one moment. Any field may be ``None`` when it could not be read."""

    pid: int
    ppid: int | None
    image: str | None
    argv: tuple[str, ...] | None
    cwd: str | None
    uid: int | None
    tracer_pid: int | None
    start_ticks: int | None
    """Start time in clock ticks since boot (``stat`` field 22): with the pid, names one process for good."""

    @property
    def command_line(self) -> str | None:
        return None if self.argv is None else " ".join(self.argv)

    @property
    def complete(self) -> bool:
        return self.image is not None and self.argv is not None


def read_text(path: str | Path, limit: int = MAX_CMDLINE_BYTES) -> str | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def _readlink(path: str) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def parse_status(text: str) -> dict[str, str]:
    """``/proc/<pid>/status`` → ``{"PPid": "1", "TracerPid": "0", "Uid": "0\\t0\\t0\\t0", ...}``."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.split()[0])
    except (ValueError, IndexError):
        return None


def _start_ticks(stat: str | None) -> int | None:
    if not stat:
        return None
    # The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
    tail = stat[stat.rfind(")") + 2:].split()
    return _int(tail[19]) if len(tail) > 19 else None


def read_snapshot(pid: int, proc: str = DEFAULT_PROC) -> ProcSnapshot | None:
    """Read a process; ``None`` when it no longer exists. The image and command line are read first: a
    short-lived process may be gone a moment later."""
    base = f"{proc}/{pid}"
    image = _readlink(f"{base}/exe")
    raw_cmdline = read_text(f"{base}/cmdline")
    cwd = _readlink(f"{base}/cwd")
    status_text = read_text(f"{base}/status")
    if status_text is None and image is None and raw_cmdline is None:
        return None
    status = parse_status(status_text or "")
    argv = tuple(raw_cmdline.rstrip("\0").split("\0")) if raw_cmdline else None
    if image is not None and image.endswith(" (deleted)"):
        image = image[: -len(" (deleted)")]
    return ProcSnapshot(
        pid=pid,
        ppid=_int(status.get("PPid")),
        image=image,
        argv=argv,
        cwd=cwd,
        uid=_int(status.get("Uid")),
        tracer_pid=_int(status.get("TracerPid")),
        start_ticks=_start_ticks(read_text(f"{base}/stat")),
    )


def read_environ(pid: int, proc: str = DEFAULT_PROC) -> Mapping[str, str] | None:
    """The environment a process was started with (``None`` if unreadable)."""
    try:
        with open(f"{proc}/{pid}/environ", "rb") as fh:
            raw = fh.read(MAX_ENVIRON_BYTES)
    except OSError:
        return None
    out: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep and key:
            out[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    return out


def iter_pids(proc: str = DEFAULT_PROC) -> Iterator[int]:
    try:
        names = os.listdir(proc)
    except OSError:
        return
    for name in names:
        if name.isdigit():
            yield int(name)


def socket_inodes(pid: int, proc: str = DEFAULT_PROC) -> set[int]:
    """Inodes of the sockets a process holds open (from its ``fd`` links ``socket:[inode]``)."""
    base = f"{proc}/{pid}/fd"
    try:
        fds = os.listdir(base)
    except OSError:
        return set()
    out: set[int] = set()
    for fd in fds:
        target = _readlink(f"{base}/{fd}")
        if target and target.startswith("socket:["):
            out.add(int(target[8:-1]))
    return out


@lru_cache(maxsize=1)
def boot_id(proc: str = DEFAULT_PROC) -> str:
    """The kernel's per-boot random ID (stable for this boot); part of every synthesised process GUID."""
    return (read_text(f"{proc}/sys/kernel/random/boot_id") or "unknown-boot").strip()


@lru_cache(maxsize=256)
def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def read_ppids(proc: str = DEFAULT_PROC) -> dict[int, int]:
    """Every process's parent pid, from one ``stat`` read each (processes that vanish midway are left out)."""
    out: dict[int, int] = {}
    for pid in iter_pids(proc):
        stat = read_text(f"{proc}/{pid}/stat", 4096)
        if not stat:
            continue
        tail = stat[stat.rfind(")") + 2:].split()
        if len(tail) > 1 and tail[1].lstrip("-").isdigit():
            out[pid] = int(tail[1])
    return out


def descendants(root: int, ppids: Mapping[int, int]) -> list[int]:
    """``root`` and its descendants, parents before children."""
    children: dict[int, list[int]] = {}
    for pid, ppid in ppids.items():
        children.setdefault(ppid, []).append(pid)
    order = [root]
    for pid in order:
        order.extend(sorted(children.get(pid, ())))
    return order
