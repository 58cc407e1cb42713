"""Pin history records from lockfile operations: what was pinned or approved, and what drift a scan saw."""

from __future__ import annotations

from collections.abc import Sequence

from garrison.model import digest
from garrison.pins import Drift, Lockfile
from garrison.store.interface import PinAction, PinRecord

__all__ = ["drift_records", "lock_changes"]


def drift_records(drifts: Sequence[Drift], *, time: float) -> list[PinRecord]:
    """One ``drift`` record per detected difference."""
    return [PinRecord(time, d.server, d.target, "drift", d.old_hash, d.new_hash) for d in drifts]


def _targets(lock: Lockfile, server: str) -> dict[str, str | None]:
    pin = lock.servers.get(server)
    if pin is None:
        return {}
    out: dict[str, str | None] = {
        "identity": digest(dict(pin.identity)) if pin.identity else None,
        "launch": pin.launch,
        "instructions": pin.instructions,
    }
    out.update(pin.items)
    return out


def lock_changes(
    before: Lockfile | None, after: Lockfile, *, action: PinAction, time: float
) -> list[PinRecord]:
    """A record for every target whose pinned hash differs between ``before`` and ``after``."""
    out: list[PinRecord] = []
    old_lock = before or Lockfile()
    for server in sorted(set(old_lock.servers) | set(after.servers)):
        old, new = _targets(old_lock, server), _targets(after, server)
        out.extend(
            PinRecord(time, server, target, action, old.get(target), new.get(target))
            for target in sorted(set(old) | set(new))
            if old.get(target) != new.get(target)
        )
    return out
