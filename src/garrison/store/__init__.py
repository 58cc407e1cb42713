"""Where Garrison remembers: scan runs, findings, per-server status and pin history, behind one protocol.

``open_store("memory:")`` gives the in-memory fake; any other string or path is a SQLite file
(default: :func:`default_db_path`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from garrison.errors import StoreError
from garrison.store.interface import PinAction, PinRecord, RunRecord, RunStatus, ServerRecord, Store
from garrison.store.memory import MemoryStore
from garrison.store.paths import DB_ENV, default_db_path

__all__ = [
    "DB_ENV",
    "MemoryStore",
    "PinAction",
    "PinRecord",
    "RunRecord",
    "RunStatus",
    "ServerRecord",
    "Store",
    "default_db_path",
    "open_store",
]

_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]+)://")


def open_store(url_or_path: str | os.PathLike[str] | None = None, *,
               environ: Mapping[str, str] | None = None) -> Store:
    """``memory:`` → :class:`MemoryStore`; ``sqlite:///path`` or a plain path → SQLite. ``None`` means
    ``$GARRISON_DB`` taken verbatim (so it may be a URL too), else :func:`default_db_path`."""
    if url_or_path is None:
        env = os.environ if environ is None else environ
        url_or_path = env.get(DB_ENV) or str(default_db_path(env))
    target = os.fspath(url_or_path)
    if target == "memory:":
        return MemoryStore()
    match = _SCHEME.match(target)
    if match:
        scheme = match.group(1).lower()
        if scheme != "sqlite":
            raise StoreError(f"unsupported store URL scheme {scheme!r} (use memory:, a path or sqlite:///path)",
                             where=target)
        target = target[match.end():]
        if not target:
            raise StoreError("sqlite URL names no file", where=os.fspath(url_or_path))
    from garrison.store.sqlite import SqliteStore

    return SqliteStore(target)
