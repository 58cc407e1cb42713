"""The check interface. A check is pure: snapshots in, findings out; no I/O, no clock, no environment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from garrison.model import CheckInfo, Finding, ServerSnapshot

__all__ = ["Check", "ScanContext"]


@dataclass(frozen=True, slots=True)
class ScanContext:
    """What every check sees: all servers of one scan (cross-server checks need them together)."""

    servers: tuple[ServerSnapshot, ...]
    reference_names: tuple[str, ...] = ()
    """Well-known server names, for typosquatting checks."""


class Check(Protocol):
    """One family of checks. ``infos`` lists every rule the family can emit (for docs, SARIF and tests)."""

    infos: ClassVar[tuple[CheckInfo, ...]]

    def run(self, ctx: ScanContext) -> Iterable[Finding]: ...
