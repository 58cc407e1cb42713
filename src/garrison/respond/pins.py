"""Revoking a pin approval: take a server, or one of its definitions, out of ``garrison.lock``.

With the approval gone, the next ``garrison scan`` reports the server (or item) as unpinned and
``garrison wrap`` treats it as it treats anything unapproved (per the policy's ``unpinned`` mode), until a
person approves it again with ``garrison pin approve``.
"""

from __future__ import annotations

import os
import time as _time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from garrison.pins import LOCKFILE_NAME, Lockfile
from garrison.respond.results import ActionResult

__all__ = ["revoke", "revoke_in_file"]


def revoke(lock: Lockfile, server: str, item: str | None = None) -> tuple[Lockfile, str]:
    """The lockfile without ``server`` (or without its ``item``, ``kind:key`` or a bare tool name), and what
    changed. Nothing to revoke returns ``lock`` itself and says so."""
    pin = lock.servers.get(server)
    if pin is None:
        return lock, f"server {server!r} is not pinned"
    if item is None:
        rest = {name: p for name, p in lock.servers.items() if name != server}
        return replace(lock, servers=rest), f"removed server {server!r} ({len(pin.items)} pinned item(s))"
    ref = item if ":" in item else f"tool:{item}"
    if ref not in pin.items:
        return lock, f"{ref} is not pinned on server {server!r}"
    items = {k: v for k, v in pin.items.items() if k != ref}
    definitions = {k: v for k, v in pin.definitions.items() if k != ref}
    servers = {**lock.servers, server: replace(pin, items=items, definitions=definitions)}
    return replace(lock, servers=servers), f"removed {ref} from server {server!r}"


def revoke_in_file(server: str, item: str | None = None, *, path: str | os.PathLike[str] = LOCKFILE_NAME,
                   execute: bool, clock: Callable[[], float] = _time.time) -> ActionResult:
    """Revoke in the lockfile at ``path`` (dry run unless ``execute``); a missing lockfile is a failure."""
    target = f"{server}/{item}" if item else server
    where = os.fspath(path)
    if not Path(where).exists():
        return ActionResult("revoke_pin", target, executed=False, ok=False,
                            detail=f"no lockfile at {where}", time=clock())
    lock = Lockfile.load(where)
    new, detail = revoke(lock, server, item)
    if new is lock:
        return ActionResult("revoke_pin", target, executed=False, ok=True, detail=f"{detail}; nothing to do",
                            time=clock())
    if not execute:
        return ActionResult("revoke_pin", target, executed=False, ok=True, detail=f"would have {detail} in {where}",
                            time=clock())
    new.save(where)
    return ActionResult("revoke_pin", target, executed=True, ok=True, detail=f"{detail} in {where}", time=clock())
