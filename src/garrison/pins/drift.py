"""Pin, compare and approve: pure functions over snapshots and a :class:`Lockfile`.

What counts as drift, per server:

* every tool, prompt, resource and resource template, by ``kind:key`` (added, changed, removed);
* the server instructions (added, changed, removed);
* the launch config (:meth:`LaunchSpec.identity`: command, args, url, cwd, env/header *names*), when both the
  pin and the scan know it; a scan from a snapshot file without launch data does not judge the launch;
* the ``serverInfo`` name (``identity``), and separately its version (``version``), when both the pin and
  the scan know them. A version bump alone is reported at *info* severity: it is worth seeing but never fails
  a build at the default threshold, because anything a model reads is pinned item by item and shows up as
  item drift.

A server in the lockfile but absent from ``snapshots`` is not judged (it may have failed to connect; the
scan is then incomplete). A server that advertises two definitions with the same ``kind:key`` can never
match its pin and cannot be pinned.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from garrison.analysis.normalize import make_visible
from garrison.errors import LockfileError, UsageError
from garrison.model import Definition, ServerSnapshot, digest
from garrison.pins.lockfile import Lockfile, ServerPin
from garrison.report.visible import escape_hidden_json

__all__ = ["SERVER_TARGETS", "Drift", "DriftKind", "approve", "compare", "pin", "pin_server"]

DriftKind = Literal["added", "changed", "removed", "unpinned_server"]
SERVER_TARGETS = ("identity", "version", "launch", "instructions")
"""Drift targets that are not definitions; ``server`` is the target of ``unpinned_server``."""


@dataclass(frozen=True, slots=True)
class Drift:
    """One difference between the lockfile and a scan. ``target`` is ``kind:key``, one of
    :data:`SERVER_TARGETS`, or ``server``. ``diff`` is a unified diff, pinned (``-``) to now (``+``)."""

    server: str
    target: str
    kind: DriftKind
    old_hash: str | None
    new_hash: str | None
    diff: str

    @property
    def selector(self) -> str:
        """What to pass to :func:`approve` to accept exactly this change."""
        return self.server if self.kind == "unpinned_server" else f"{self.server}/{self.target}"

    def to_json(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "target": self.target,
            "kind": self.kind,
            "old_hash": self.old_hash,
            "new_hash": self.new_hash,
            "diff": self.diff,
        }


def _now(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _identity(snapshot: ServerSnapshot) -> dict[str, str]:
    info = snapshot.server_info or {}
    return {k: info[k] for k in ("name", "version") if isinstance(info.get(k), str)}


def _grouped(snapshot: ServerSnapshot) -> dict[str, list[Definition]]:
    out: dict[str, list[Definition]] = {}
    for d in snapshot.definitions:
        out.setdefault(d.ref, []).append(d)
    return out


def _item_hash(defs: Sequence[Definition]) -> str:
    return defs[0].hash if len(defs) == 1 else digest([dict(d.raw) for d in defs])


def _item_value(defs: Sequence[Definition]) -> Any:
    return dict(defs[0].raw) if len(defs) == 1 else [dict(d.raw) for d in defs]


def pin_server(snapshot: ServerSnapshot, *, now: datetime | None = None) -> ServerPin:
    """Pin everything ``snapshot`` exposes."""
    items: dict[str, str] = {}
    definitions: dict[str, Mapping[str, Any]] = {}
    for ref, defs in _grouped(snapshot).items():
        if len(defs) > 1:
            raise LockfileError(f"server advertises {len(defs)} definitions for {ref!r}; it cannot be pinned",
                                where=snapshot.name)
        items[ref], definitions[ref] = defs[0].hash, dict(defs[0].raw)
    launch = snapshot.launch.identity() if snapshot.launch is not None else None
    text = snapshot.instructions
    return ServerPin(
        identity=_identity(snapshot),
        launch=digest(launch) if launch is not None else None,
        instructions=digest(text) if text is not None else None,
        items=items,
        approved_at=_now(now),
        launch_spec=launch,
        instructions_text=text,
        definitions=definitions,
    )


def pin(snapshots: Sequence[ServerSnapshot], *, now: datetime | None = None) -> Lockfile:
    """A fresh lockfile approving every server in ``snapshots`` as it is now."""
    servers: dict[str, ServerPin] = {}
    for snap in snapshots:
        if snap.name in servers:
            raise LockfileError("two servers share this name; they cannot be pinned apart", where=snap.name)
        servers[snap.name] = pin_server(snap, now=now)
    return Lockfile(servers)


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return make_visible(value).splitlines()
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return escape_hidden_json(text).splitlines()


def _diff(server: str, target: str, old: Any, new: Any, *, old_known: bool = True) -> str:
    old_lines = _lines(old) if old_known else ["(pinned content not kept in the lockfile)"]
    lines = difflib.unified_diff(old_lines, _lines(new), f"{server}/{target} (pinned)",
                                 f"{server}/{target} (now)", lineterm="")
    return "\n".join(lines)


def _hash(value: Any) -> str | None:
    return None if value is None else digest(value)


def _server_drift(pinned: ServerPin, snap: ServerSnapshot) -> list[Drift]:
    name, out = snap.name, []
    identity = _identity(snap)
    if snap.server_info is not None and pinned.identity and dict(pinned.identity) != identity:
        target = "identity" if pinned.identity.get("name") != identity.get("name") else "version"
        out.append(Drift(name, target, "changed", _hash(dict(pinned.identity)), _hash(identity),
                         _diff(name, target, dict(pinned.identity), identity)))
    if snap.launch is not None and pinned.launch is not None:
        launch = snap.launch.identity()
        if digest(launch) != pinned.launch:
            out.append(Drift(name, "launch", "changed", pinned.launch, digest(launch),
                             _diff(name, "launch", pinned.launch_spec, launch,
                                   old_known=pinned.launch_spec is not None)))
    new_text = _hash(snap.instructions)
    if new_text != pinned.instructions:
        old_text = pinned.instructions
        kind: DriftKind = "added" if old_text is None else "removed" if new_text is None else "changed"
        known = old_text is None or pinned.instructions_text is not None
        out.append(Drift(name, "instructions", kind, old_text, new_text,
                         _diff(name, "instructions", pinned.instructions_text, snap.instructions,
                               old_known=known)))
    current = _grouped(snap)
    for ref in sorted(set(current) | set(pinned.items)):
        old_hash = pinned.items.get(ref)
        new_hash = _item_hash(current[ref]) if ref in current else None
        if old_hash == new_hash:
            continue
        kind = "added" if old_hash is None else "removed" if new_hash is None else "changed"
        old_known = old_hash is None or ref in pinned.definitions
        new_value = _item_value(current[ref]) if ref in current else None
        out.append(Drift(name, ref, kind, old_hash, new_hash,
                         _diff(name, ref, pinned.definitions.get(ref), new_value, old_known=old_known)))
    return out


def compare(lock: Lockfile, snapshots: Sequence[ServerSnapshot]) -> list[Drift]:
    """Every difference between ``lock`` and ``snapshots``, by server, then identity, launch, instructions,
    then definitions by ``kind:key``."""
    out: list[Drift] = []
    for snap in sorted(snapshots, key=lambda s: s.name):
        pinned = lock.servers.get(snap.name)
        if pinned is None:
            listing = "\n".join(f"+ {ref}" for ref in sorted(_grouped(snap)))
            out.append(Drift(snap.name, "server", "unpinned_server", None, None, listing))
        else:
            out.extend(_server_drift(pinned, snap))
    return out


def _split(selector: str, names: set[str]) -> tuple[str, str]:
    matches = [n for n in names if selector == n or selector.startswith(n + "/")]
    if not matches:
        raise UsageError(f"no scanned or pinned server matches selector {selector!r}", where=selector)
    server = max(matches, key=len)
    return server, selector[len(server) + 1:]


def _matches(part: str, target: str) -> bool:
    return part == target or (target not in SERVER_TARGETS and part == target.partition(":")[2])


def _accept(pinned: ServerPin, snap: ServerSnapshot, drift: Drift) -> ServerPin:
    if drift.target in ("identity", "version"):
        return replace(pinned, identity=_identity(snap))
    if drift.target == "launch":
        launch = snap.launch.identity() if snap.launch is not None else None
        return replace(pinned, launch=_hash(launch), launch_spec=launch)
    if drift.target == "instructions":
        return replace(pinned, instructions=drift.new_hash, instructions_text=snap.instructions)
    items, definitions = dict(pinned.items), dict(pinned.definitions)
    items.pop(drift.target, None)
    definitions.pop(drift.target, None)
    if drift.kind != "removed":
        defs = _grouped(snap)[drift.target]
        if len(defs) > 1:
            raise LockfileError(f"server advertises {len(defs)} definitions for {drift.target!r}; "
                                "it cannot be pinned", where=snap.name)
        items[drift.target], definitions[drift.target] = defs[0].hash, dict(defs[0].raw)
    return replace(pinned, items=items, definitions=definitions)


def approve(lock: Lockfile, snapshots: Sequence[ServerSnapshot], selector: str, *,
            now: datetime | None = None) -> Lockfile:
    """Accept exactly the changes ``selector`` names and return the new lockfile.

    ``SERVER`` accepts the whole server as scanned; ``SERVER/kind:key`` one definition; ``SERVER/name`` every
    definition whose key is ``name``; ``SERVER/identity|version|launch|instructions`` that part. A selector
    that names nothing raises :class:`UsageError`; one that names something unchanged returns ``lock``.
    """
    by_name = {s.name: s for s in snapshots}
    server, part = _split(selector, set(by_name) | set(lock.servers))
    snap = by_name.get(server)
    if snap is None:
        raise UsageError(f"server {server!r} was not scanned; there is nothing to approve", where=selector)
    pinned = lock.servers.get(server)
    if not part:
        drifts = compare(lock, [snap])
        if not drifts:
            return lock
        fresh = pin_server(snap, now=now)
        if pinned is not None and snap.launch is None:
            fresh = replace(fresh, launch=pinned.launch, launch_spec=pinned.launch_spec)
        if pinned is not None and snap.server_info is None:
            fresh = replace(fresh, identity=pinned.identity)
        return replace(lock, servers={**lock.servers, server: fresh})
    if pinned is None:
        raise UsageError(f"server {server!r} is not pinned yet; approve it whole first (selector {server!r})",
                         where=selector)
    known = set(pinned.items) | set(_grouped(snap)) | set(SERVER_TARGETS)
    if not any(_matches(part, target) for target in known):
        raise UsageError(f"selector {selector!r} matches nothing on server {server!r}", where=selector)
    selected = [d for d in compare(lock, [snap]) if _matches(part, d.target)]
    if not selected:
        return lock
    for drift in selected:
        pinned = _accept(pinned, snap, drift)
    return replace(lock, servers={**lock.servers, server: replace(pinned, approved_at=_now(now))})
