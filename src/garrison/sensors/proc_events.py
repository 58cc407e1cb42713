"""The Linux proc connector wire format: the subscribe message and ``proc_event`` records (pure).

A netlink datagram holds one or more messages: ``nlmsghdr`` (16 bytes), ``cn_msg`` (20 bytes) and a
``proc_event`` whose header is ``what`` (u32), ``cpu`` (u32) and ``timestamp_ns`` (u64, CLOCK_MONOTONIC),
followed by a per-kind union. Only fork, exec and exit are decoded; other kinds come back as ``other``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CN_IDX_PROC",
    "CN_VAL_PROC",
    "NETLINK_CONNECTOR",
    "PROC_CN_MCAST_IGNORE",
    "PROC_CN_MCAST_LISTEN",
    "ProcEvent",
    "exit_status",
    "parse_datagram",
    "subscribe_message",
]

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_CN_MCAST_IGNORE = 2
NLMSG_DONE = 3
NLMSG_ERROR = 2
NLMSG_OVERRUN = 4

PROC_EVENT_FORK = 0x00000001
PROC_EVENT_EXEC = 0x00000002
PROC_EVENT_EXIT = 0x80000000

_NLMSGHDR = struct.Struct("=IHHII")
_CN_MSG = struct.Struct("=IIIIHH")
_EVENT_HEAD = struct.Struct("=IIQ")
_FORK = struct.Struct("=iiii")
_EXEC = struct.Struct("=ii")
_EXIT_OLD = struct.Struct("=iiII")
_EXIT_NEW = struct.Struct("=iiIIii")

EventKind = Literal["fork", "exec", "exit", "other"]


@dataclass(frozen=True, slots=True)
class ProcEvent:
    """One decoded ``proc_event``. ``pid``/``tgid`` are the subject (the child for fork)."""

    kind: EventKind
    timestamp_ns: int
    pid: int
    tgid: int
    parent_pid: int = 0
    parent_tgid: int = 0
    exit_code: int | None = None
    """Raw wait status for exit events (see :func:`exit_status`)."""

    @property
    def is_thread(self) -> bool:
        """A thread of a process, not a process of its own."""
        return self.pid != self.tgid


def exit_status(raw: int) -> int:
    """Wait status → shell-style code: the exit code, or ``-signal`` for a process killed by a signal."""
    signal = raw & 0x7F
    return -signal if signal else (raw >> 8) & 0xFF


def subscribe_message(own_port: int, op: int = PROC_CN_MCAST_LISTEN) -> bytes:
    """The datagram that starts (``PROC_CN_MCAST_LISTEN``) or stops delivery of process events."""
    payload = struct.pack("=I", op)
    cn = _CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(payload), 0) + payload
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(cn), NLMSG_DONE, 0, 0, own_port) + cn


def _decode(body: bytes) -> ProcEvent | None:
    if len(body) < _CN_MSG.size + _EVENT_HEAD.size:
        return None
    idx, val, _seq, _ack, length, _flags = _CN_MSG.unpack_from(body, 0)
    if idx != CN_IDX_PROC or val != CN_VAL_PROC:
        return None
    data = body[_CN_MSG.size:_CN_MSG.size + length]
    if len(data) < _EVENT_HEAD.size:
        return None
    what, _cpu, stamp = _EVENT_HEAD.unpack_from(data, 0)
    rest = data[_EVENT_HEAD.size:]
    if what == PROC_EVENT_FORK and len(rest) >= _FORK.size:
        ppid, ptgid, pid, tgid = _FORK.unpack_from(rest, 0)
        return ProcEvent("fork", stamp, pid, tgid, ppid, ptgid)
    if what == PROC_EVENT_EXEC and len(rest) >= _EXEC.size:
        pid, tgid = _EXEC.unpack_from(rest, 0)
        return ProcEvent("exec", stamp, pid, tgid)
    if what == PROC_EVENT_EXIT and len(rest) >= _EXIT_OLD.size:
        if len(rest) >= _EXIT_NEW.size:
            pid, tgid, code, _sig, ppid, ptgid = _EXIT_NEW.unpack_from(rest, 0)
        else:
            pid, tgid, code, _sig = _EXIT_OLD.unpack_from(rest, 0)
            ppid = ptgid = 0
        return ProcEvent("exit", stamp, pid, tgid, ppid, ptgid, exit_code=code)
    return ProcEvent("other", stamp, 0, 0)


def parse_datagram(data: bytes) -> tuple[list[ProcEvent], bool]:
    """Decode every message of one datagram. Returns the events and whether the kernel reported an overrun."""
    events: list[ProcEvent] = []
    overrun = False
    offset = 0
    while offset + _NLMSGHDR.size <= len(data):
        length, kind, _flags, _seq, _port = _NLMSGHDR.unpack_from(data, offset)
        if length < _NLMSGHDR.size or offset + length > len(data):
            break
        if kind == NLMSG_OVERRUN:
            overrun = True
        elif kind == NLMSG_DONE:
            event = _decode(data[offset + _NLMSGHDR.size:offset + length])
            if event is not None:
                events.append(event)
        offset += (length + 3) & ~3
    return events, overrun
