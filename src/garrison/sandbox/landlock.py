"""Landlock through raw system calls (``ctypes``): restrict the calling process, then every child it starts.

Only Linux on x86-64 and arm64 is supported (the system call numbers are the same generic ones on both).
:func:`abi_version` returns 0 where Landlock is missing or disabled. :func:`restrict_self` allows reading
(and executing) beneath ``read_only`` paths and everything beneath ``read_write``; every other file access the
kernel's ABI knows is denied. With ``deny_tcp`` (ABI ≥ 4) TCP ``connect`` and ``bind`` are denied too, and with
ABI ≥ 6 abstract UNIX sockets and signals to processes outside the sandbox are scoped.
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import Sequence

__all__ = ["LandlockError", "abi_version", "restrict_self"]

_SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446), "arm64": (444, 445, 446)}
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_ABI1_ALL = (1 << 13) - 1  # EXECUTE … MAKE_SYM
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | _TRUNCATE | _IOCTL_DEV
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1 << 0, 1 << 1


class LandlockError(OSError):
    """Landlock could not be applied (the process is left unrestricted and must not continue)."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = (("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64))


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


def _numbers() -> tuple[int, int, int] | None:
    return _SYSCALLS.get(platform.machine()) if platform.system() == "Linux" else None


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def abi_version() -> int:
    """The kernel's Landlock ABI version, or 0 when it is unavailable."""
    numbers = _numbers()
    if numbers is None:
        return 0
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    result = int(libc.syscall(ctypes.c_long(numbers[0]), None, ctypes.c_size_t(0),
                              ctypes.c_uint32(_CREATE_RULESET_VERSION)))
    return max(result, 0)


def _handled_fs(abi: int) -> int:
    mask = _ABI1_ALL
    if abi >= 2:
        mask |= _REFER
    if abi >= 3:
        mask |= _TRUNCATE
    if abi >= 5:
        mask |= _IOCTL_DEV
    return mask


def _fail(what: str) -> LandlockError:
    errno = ctypes.get_errno()
    return LandlockError(errno, f"landlock {what}: {os.strerror(errno)}")


def restrict_self(read_only: Sequence[str], read_write: Sequence[str], *, deny_tcp: bool) -> int:
    """Restrict this process; returns the ABI used. Raises :class:`LandlockError` (fail closed) when
    Landlock is unavailable, a path cannot be opened, or ``deny_tcp`` is asked of a kernel older than ABI 4."""
    abi = abi_version()
    numbers = _numbers()
    if abi < 1 or numbers is None:
        raise LandlockError(0, "Landlock is not available in this kernel")
    if deny_tcp and abi < 4:
        raise LandlockError(0, f"Landlock ABI {abi} cannot deny TCP (needs 4)")
    create, add_rule, restrict = numbers
    handled = _handled_fs(abi)
    attr = _RulesetAttr(handled, (_NET_BIND_TCP | _NET_CONNECT_TCP) if deny_tcp else 0,
                        (_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    libc = _libc()
    libc.syscall.restype = ctypes.c_long
    ruleset = int(libc.syscall(ctypes.c_long(create), ctypes.byref(attr), ctypes.c_size_t(size),
                               ctypes.c_uint32(0)))
    if ruleset < 0:
        raise _fail("create_ruleset")
    try:
        rights = [(p, READ_FILE | READ_DIR | EXECUTE) for p in read_only] + [(p, handled) for p in read_write]
        for path, allowed in rights:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError as err:
                raise LandlockError(err.errno, f"landlock rule for {path}: {err.strerror}") from None
            try:
                if not os.path.isdir(path):
                    allowed &= _FILE_ONLY
                rule = _PathBeneathAttr(allowed, fd)
                if libc.syscall(ctypes.c_long(add_rule), ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                                ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                    raise _fail(f"add_rule {path}")
            finally:
                os.close(fd)
        if libc.prctl(ctypes.c_int(_PR_SET_NO_NEW_PRIVS), ctypes.c_ulong(1), ctypes.c_ulong(0),
                      ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
            raise _fail("prctl(NO_NEW_PRIVS)")
        if libc.syscall(ctypes.c_long(restrict), ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            raise _fail("restrict_self")
    finally:
        os.close(ruleset)
    return abi
