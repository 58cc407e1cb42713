"""The result of one scan: per-server status and the findings. A server that could not be read makes the
scan *incomplete*; an incomplete scan is never reported as clean."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from garrison.model.finding import Finding
from garrison.model.snapshot import LaunchSpec, ServerSnapshot

__all__ = ["ScanResult", "ServerResult", "ServerStatus"]

ServerStatus = Literal["ok", "error", "timeout", "skipped"]
"""``ok`` snapshot taken; ``error`` launch/connect/protocol failure; ``timeout`` no answer in time;
``skipped`` not connected on purpose (``--no-launch``, disabled in the client config)."""


@dataclass(frozen=True, slots=True)
class ServerResult:
    name: str
    status: ServerStatus
    snapshot: ServerSnapshot | None = None
    launch: LaunchSpec | None = None
    error: str | None = None
    elapsed: float | None = None
    """Seconds spent connecting and listing."""


@dataclass(frozen=True, slots=True)
class ScanResult:
    servers: tuple[ServerResult, ...]
    findings: tuple[Finding, ...] = ()
    started: float = 0.0
    finished: float = 0.0
    warnings: tuple[str, ...] = field(default=())
    """Problems that did not stop the scan (an expired suppression, a store that could not be written)."""
    unread_configs: tuple[str, ...] = field(default=())
    """Client config files that could not be read (``path:line: reason``): their servers were not checked."""

    @property
    def incomplete(self) -> bool:
        return bool(self.unread_configs) or any(s.status in ("error", "timeout") for s in self.servers)
