"""Frozen value types shared by the scanner, the gateway and the detection engine."""

from garrison.model.event import Event, LogSource
from garrison.model.finding import CheckInfo, Evidence, Finding
from garrison.model.hashing import canonical_json, digest
from garrison.model.severity import Severity
from garrison.model.snapshot import Definition, LaunchSpec, ServerSnapshot, TextSite, iter_texts
from garrison.model.snapshot_json import snapshots_from_json, snapshots_to_json

__all__ = [
    "CheckInfo",
    "Definition",
    "Event",
    "Evidence",
    "Finding",
    "LaunchSpec",
    "LogSource",
    "ServerSnapshot",
    "Severity",
    "TextSite",
    "canonical_json",
    "digest",
    "iter_texts",
    "snapshots_from_json",
    "snapshots_to_json",
]
