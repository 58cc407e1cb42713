"""The inventory as data: a ``DiscoveryResult`` → JSON-ready values and table rows, secrets masked. Pure."""

from __future__ import annotations

from typing import Any

from garrison.discovery.discover import DiscoveryResult
from garrison.discovery.masking import mask_args, mask_text, mask_url
from garrison.errors import ConfigParseError
from garrison.model import LaunchSpec
from garrison.model.snapshot import SECRET_MASK

__all__ = [
    "INVENTORY_FORMAT_VERSION",
    "error_to_json",
    "inventory_to_json",
    "launch_summary",
    "server_to_json",
]

INVENTORY_FORMAT_VERSION = 1


def server_to_json(spec: LaunchSpec) -> dict[str, Any]:
    """One server, every field present (``null`` when absent); env/header values and inline secrets masked."""
    return {
        "name": spec.name,
        "client": spec.client,
        "config_path": spec.config_path,
        "scope": spec.scope,
        "transport": spec.transport,
        "command": mask_text(spec.command) if spec.command is not None else None,
        "args": list(mask_args(spec.args)),
        "url": mask_url(spec.url) if spec.url is not None else None,
        "cwd": spec.cwd,
        "env": dict.fromkeys(sorted(spec.env), SECRET_MASK),
        "headers": dict.fromkeys(sorted(spec.headers), SECRET_MASK),
        "disabled": spec.disabled,
    }


def error_to_json(err: ConfigParseError) -> dict[str, Any]:
    return {"path": err.path, "line": err.line, "column": err.column, "message": err.message}


def inventory_to_json(result: DiscoveryResult) -> dict[str, Any]:
    return {
        "version": INVENTORY_FORMAT_VERSION,
        "servers": [server_to_json(s) for s in result.servers],
        "errors": [error_to_json(e) for e in result.errors],
        "files_read": list(result.files_read),
    }


def launch_summary(spec: LaunchSpec) -> str:
    """``command arg…`` or the URL, masked, for one table cell."""
    if spec.command is not None:
        return " ".join((mask_text(spec.command), *mask_args(spec.args)))
    if spec.url is not None:
        return mask_url(spec.url)
    return "(provided by the client)"
