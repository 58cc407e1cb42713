"""Config file bytes in and out: bounded reads, and atomic replacement that refuses a concurrent edit.

The only module of ``install`` that writes a user's config. A replacement goes through a temporary file in
the same directory (written, flushed to disk and given the original file's mode), then the file is read
again and compared with the hash taken when it was first read: if another program changed it meanwhile, the
temporary file is removed and the config is left as that program wrote it. Only then is the temporary file
renamed over the config. A symlinked config is written through to its target, so the link survives.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from garrison.discovery import MAX_CONFIG_BYTES
from garrison.errors import ConfigError, ConfigParseError

__all__ = ["ConcurrentEditError", "FileBytes", "atomic_replace", "read_config", "sha256_hex"]

ReplaceHook = Callable[[str], None]
"""Called with the path just before the final re-check and rename (tests simulate a concurrent edit)."""


class ConcurrentEditError(ConfigError):
    """The file changed between Garrison reading it and replacing it; it was left as the other writer left it."""


@dataclass(frozen=True, slots=True)
class FileBytes:
    path: str
    """The path as the catalog names it."""
    real_path: str
    """Where the bytes live (symlinks resolved): the path that is replaced."""
    data: bytes
    mode: int
    owner: tuple[int, int] | None = None
    """``(uid, gid)`` on POSIX: kept on the replacement when Garrison runs with the right to (as root)."""

    @property
    def sha256(self) -> str:
        return sha256_hex(self.data)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_bytes(path: str, max_bytes: int) -> tuple[bytes, os.stat_result] | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        raise ConfigParseError(f"cannot read: {err.strerror or err}", path=path) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigParseError("is not a regular file; not touched", path=path)
        if info.st_size > max_bytes:
            raise ConfigParseError(f"file is over the {max_bytes}-byte limit; not touched", path=path)
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError as err:
        raise ConfigParseError(f"cannot read: {err.strerror or err}", path=path) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise ConfigParseError(f"file grew past the {max_bytes}-byte limit; not touched", path=path)
    return data, info


def read_config(path: str, *, max_bytes: int = MAX_CONFIG_BYTES) -> FileBytes | None:
    """The file's bytes and mode; ``None`` when it does not exist; ``ConfigParseError`` when unusable."""
    real = os.path.realpath(path)
    got = _read_bytes(real, max_bytes)
    if got is None:
        return None
    data, info = got
    owner = (info.st_uid, info.st_gid) if os.name == "posix" else None
    return FileBytes(path, real, data, stat.S_IMODE(info.st_mode), owner)


def _fsync_dir(directory: str) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_replace(original: FileBytes, data: bytes, *, before_replace: ReplaceHook | None = None,
                   max_bytes: int = MAX_CONFIG_BYTES) -> None:
    """Replace ``original.real_path`` with ``data``, unless it no longer holds ``original.data``."""
    target = original.real_path
    directory = os.path.dirname(target) or "."
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".garrison-tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, original.mode)
        if original.owner is not None and hasattr(os, "geteuid") and os.geteuid() == 0:
            os.chown(tmp, *original.owner)
        if before_replace is not None:
            before_replace(original.path)
        now = _read_bytes(target, max_bytes)
        if now is None or sha256_hex(now[0]) != original.sha256:
            raise ConcurrentEditError("the file changed while Garrison was editing it (another program wrote "
                                      "it); left as that program wrote it, run the command again",
                                      where=original.path)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)
