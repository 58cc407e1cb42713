"""Trust on first use: ``garrison.lock`` pins every definition a server exposes and reports drift."""

from garrison.pins.drift import SERVER_TARGETS, Drift, DriftKind, approve, compare, pin, pin_server
from garrison.pins.findings import PIN_INFOS, drift_findings
from garrison.pins.lockfile import LOCKFILE_NAME, LOCKFILE_VERSION, Lockfile, PinStatus, ServerPin

__all__ = [
    "LOCKFILE_NAME",
    "LOCKFILE_VERSION",
    "PIN_INFOS",
    "SERVER_TARGETS",
    "Drift",
    "DriftKind",
    "Lockfile",
    "PinStatus",
    "ServerPin",
    "approve",
    "compare",
    "drift_findings",
    "pin",
    "pin_server",
]
