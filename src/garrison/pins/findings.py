"""Drift as findings: stable rule IDs G801–G808, so drift is suppressed, reported and gated like any check."""

from __future__ import annotations

from collections.abc import Sequence

from garrison.model import CheckInfo, Finding, Severity
from garrison.pins.drift import Drift

__all__ = [
    "IDENTITY_CHANGED",
    "INSTRUCTIONS_CHANGED",
    "LAUNCH_CHANGED",
    "PIN_ADDED",
    "PIN_CHANGED",
    "PIN_INFOS",
    "PIN_REMOVED",
    "SERVER_UNPINNED",
    "VERSION_CHANGED",
    "drift_findings",
]

_SUPPLY_CHAIN = ("T1195", "AML.T0010")
_REVIEW = "Review the diff; if the change is expected, approve it with the selector named in the message."

PIN_CHANGED = CheckInfo(
    "G801", "pin-changed", "Pinned definition changed", Severity.HIGH,
    "A definition changed after it was approved (a possible rug pull). " + _REVIEW, _SUPPLY_CHAIN)
PIN_ADDED = CheckInfo(
    "G802", "pin-added", "Definition added since pinning", Severity.MEDIUM,
    "The server exposes a definition nobody approved. " + _REVIEW, _SUPPLY_CHAIN)
PIN_REMOVED = CheckInfo(
    "G803", "pin-removed", "Pinned definition removed", Severity.LOW,
    "A pinned definition is gone. " + _REVIEW)
SERVER_UNPINNED = CheckInfo(
    "G804", "server-unpinned", "Server not pinned", Severity.LOW,
    "This server has no entry in the lockfile, so changes to it go unnoticed. " + _REVIEW)
LAUNCH_CHANGED = CheckInfo(
    "G805", "launch-changed", "Launch config changed", Severity.HIGH,
    "The command, arguments, URL, working directory or env/header names changed since approval. " + _REVIEW,
    ("T1195", "T1546"))
INSTRUCTIONS_CHANGED = CheckInfo(
    "G806", "instructions-changed", "Server instructions changed", Severity.HIGH,
    "The instructions the server gives every model changed since approval. " + _REVIEW, _SUPPLY_CHAIN)
IDENTITY_CHANGED = CheckInfo(
    "G807", "identity-changed", "Server identity changed", Severity.MEDIUM,
    "The server reports a different serverInfo name: a different program may be answering. " + _REVIEW)
VERSION_CHANGED = CheckInfo(
    "G808", "server-version-changed", "Server version changed", Severity.INFO,
    "The server reports a new version; its definitions are compared one by one. " + _REVIEW)

PIN_INFOS: tuple[CheckInfo, ...] = (
    PIN_CHANGED, PIN_ADDED, PIN_REMOVED, SERVER_UNPINNED, LAUNCH_CHANGED, INSTRUCTIONS_CHANGED,
    IDENTITY_CHANGED, VERSION_CHANGED,
)


def _short(value: str | None) -> str:
    return "none" if value is None else value[:19]


def _finding(drift: Drift) -> Finding:
    change = f"({_short(drift.old_hash)} → {_short(drift.new_hash)})"
    approve = f"approve with `{drift.selector}`"
    if drift.kind == "unpinned_server":
        count = len([line for line in drift.diff.splitlines() if line.startswith("+ ")])
        return SERVER_UNPINNED.finding(
            server=drift.server, target="server", location="",
            message=f"server {drift.server!r} is not in the lockfile ({count} definitions unpinned); "
                    f"{approve}")
    if drift.target == "launch":
        return LAUNCH_CHANGED.finding(
            server=drift.server, target="launch", location="",
            message=f"launch config changed since it was pinned {change}; {approve}")
    if drift.target == "instructions":
        return INSTRUCTIONS_CHANGED.finding(
            server=drift.server, target="server", location="instructions",
            severity=Severity.LOW if drift.kind == "removed" else None,
            message=f"server instructions {drift.kind} since pinning {change}; {approve}")
    if drift.target in ("identity", "version"):
        info = IDENTITY_CHANGED if drift.target == "identity" else VERSION_CHANGED
        location = "serverInfo.name" if drift.target == "identity" else "serverInfo.version"
        return info.finding(server=drift.server, target="server", location=location,
                            message=f"serverInfo {drift.target} changed since pinning {change}; {approve}")
    info = {"changed": PIN_CHANGED, "added": PIN_ADDED, "removed": PIN_REMOVED}[drift.kind]
    verb = {"changed": "changed since it was pinned", "added": "is new and not pinned",
            "removed": "was pinned but is gone"}[drift.kind]
    return info.finding(server=drift.server, target=drift.target, location="",
                        message=f"{drift.target} {verb} {change}; {approve}")


def drift_findings(drifts: Sequence[Drift]) -> list[Finding]:
    """One finding per drift, worst first."""
    return sorted((_finding(d) for d in drifts), key=Finding.sort_key)
