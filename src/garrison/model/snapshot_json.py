"""Snapshot files: ``{"servers": {"<name>": {...}}}`` or a bare ``tools/list`` result ``{"tools": [...]}``.

Parsing is pure (value in, snapshots out); reading the file is the caller's business. Every shape error
names the server and field at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from garrison.errors import SnapshotFormatError
from garrison.model.snapshot import Definition, ItemKind, LaunchSpec, ServerSnapshot

__all__ = ["SNAPSHOT_FORMAT_VERSION", "snapshots_from_json", "snapshots_to_json"]

SNAPSHOT_FORMAT_VERSION = 1
BARE_SERVER_NAME = "snapshot"

_LISTS: tuple[tuple[str, ItemKind, str], ...] = (
    ("tools", "tool", "name"),
    ("prompts", "prompt", "name"),
    ("resources", "resource", "uri"),
    ("resourceTemplates", "resource_template", "uriTemplate"),
)


def _definitions(server: str, data: Mapping[str, Any], key: str, kind: ItemKind, id_field: str,
                 where: str) -> tuple[Definition, ...]:
    items = data.get(key)
    if items is None:
        return ()
    if not isinstance(items, list):
        raise SnapshotFormatError(f"server {server!r}: {key!r} must be a list", where=where)
    out: list[Definition] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise SnapshotFormatError(f"server {server!r}: {key}[{i}] must be an object", where=where)
        if not isinstance(item.get(id_field), str):
            raise SnapshotFormatError(f"server {server!r}: {key}[{i}] has no string {id_field!r}", where=where)
        out.append(Definition(kind, dict(item)))
    return tuple(out)


def _server(name: str, data: Any, where: str) -> ServerSnapshot:
    if not isinstance(data, Mapping):
        raise SnapshotFormatError(f"server {name!r} must be an object", where=where)
    lists = {key: _definitions(name, data, key, kind, id_field, where) for key, kind, id_field in _LISTS}
    instructions = data.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise SnapshotFormatError(f"server {name!r}: 'instructions' must be a string", where=where)
    info = data.get("serverInfo")
    if info is not None and not isinstance(info, Mapping):
        raise SnapshotFormatError(f"server {name!r}: 'serverInfo' must be an object", where=where)
    launch_data = data.get("launch")
    if launch_data is not None and not isinstance(launch_data, Mapping):
        raise SnapshotFormatError(f"server {name!r}: 'launch' must be an object", where=where)
    caps = data.get("capabilities")
    return ServerSnapshot(
        name=name,
        tools=lists["tools"],
        prompts=lists["prompts"],
        resources=lists["resources"],
        resource_templates=lists["resourceTemplates"],
        instructions=instructions,
        server_info=dict(info) if info is not None else None,
        protocol_version=data.get("protocolVersion") if isinstance(data.get("protocolVersion"), str) else None,
        capabilities=dict(caps) if isinstance(caps, Mapping) else None,
        launch=LaunchSpec.from_json(name, launch_data) if launch_data is not None else None,
    )


def snapshots_from_json(data: Any, *, where: str = "<snapshot>") -> list[ServerSnapshot]:
    """Parse a snapshot document. ``where`` (usually the file path) is named in every error."""
    if not isinstance(data, Mapping):
        raise SnapshotFormatError("a snapshot must be a JSON object", where=where)
    servers = data.get("servers")
    if servers is None:
        if any(key in data for key, _, _ in _LISTS):
            return [_server(BARE_SERVER_NAME, data, where)]
        raise SnapshotFormatError("expected a 'servers' object or a bare 'tools' list", where=where)
    if isinstance(servers, Mapping):
        return [_server(str(name), body, where) for name, body in servers.items()]
    if isinstance(servers, Sequence) and not isinstance(servers, str):
        out = []
        for i, body in enumerate(servers):
            if not isinstance(body, Mapping) or not isinstance(body.get("name"), str):
                raise SnapshotFormatError(f"servers[{i}] must be an object with a 'name'", where=where)
            out.append(_server(body["name"], body, where))
        return out
    raise SnapshotFormatError("'servers' must be an object keyed by server name", where=where)


def snapshots_to_json(snapshots: Sequence[ServerSnapshot], *, mask_secrets: bool = True) -> dict[str, Any]:
    return {
        "version": SNAPSHOT_FORMAT_VERSION,
        "servers": {s.name: s.to_json(mask_secrets=mask_secrets) for s in snapshots},
    }
