"""The JSON report, schema ``garrison.scan/1`` (``scan-report.schema.json``; documented in
``docs/report-schema.md``). Additive changes keep the version; anything else bumps it."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from garrison.model import Finding, Severity
from garrison.model.scan import ScanResult, ServerResult

if TYPE_CHECKING:
    from garrison.pins import Drift
    from garrison.scanner.suppressions import Suppression

__all__ = ["SCHEMA_ID", "summary", "to_json"]

SCHEMA_ID = "garrison.scan/1"


def _iso(seconds: float | None) -> str | None:
    if not seconds:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _server(server: ServerResult, findings: Sequence[Finding]) -> dict[str, Any]:
    launch = server.launch or (server.snapshot.launch if server.snapshot else None)
    snap = server.snapshot
    return {
        "name": server.name,
        "status": server.status,
        "error": server.error,
        "elapsed": server.elapsed,
        "transport": launch.transport if launch else None,
        "client": launch.client if launch else None,
        "config_path": launch.config_path if launch else None,
        "server_info": dict(snap.server_info) if snap and snap.server_info else None,
        "counts": {
            "tools": len(snap.tools) if snap else 0,
            "prompts": len(snap.prompts) if snap else 0,
            "resources": len(snap.resources) if snap else 0,
            "resource_templates": len(snap.resource_templates) if snap else 0,
        },
        "findings": sum(1 for f in findings if f.server == server.name),
    }


def summary(result: ScanResult, drifts: Sequence[Drift] = ()) -> dict[str, Any]:
    """Counts by server status and by severity, the worst severity, and whether the scan is incomplete."""
    by_status = Counter(s.status for s in result.servers)
    by_severity = Counter(f.severity.label for f in result.findings)
    worst = max((f.severity for f in result.findings), default=None)
    return {
        "servers": len(result.servers),
        "by_status": {k: by_status.get(k, 0) for k in ("ok", "error", "timeout", "skipped")},
        "findings": len(result.findings),
        "by_severity": {s.label: by_severity.get(s.label, 0) for s in sorted(Severity, reverse=True)},
        "worst": worst.label if worst is not None else None,
        "drift": len(drifts),
        "incomplete": result.incomplete,
    }


def to_json(
    result: ScanResult,
    drifts: Sequence[Drift] = (),
    *,
    suppressed: Sequence[tuple[Finding, Suppression]] = (),
    generated: float | None = None,
) -> dict[str, Any]:
    """The whole report as JSON-ready data. ``generated`` defaults to now (seconds since the epoch)."""
    return {
        "schema": SCHEMA_ID,
        "generated": _iso(time.time() if generated is None else generated),
        "started": _iso(result.started),
        "finished": _iso(result.finished),
        "incomplete": result.incomplete,
        "servers": [_server(s, result.findings) for s in result.servers],
        "findings": [f.to_json() for f in sorted(result.findings, key=Finding.sort_key)],
        "drift": [d.to_json() for d in drifts],
        "suppressed": [
            {"finding": f.to_json(), "reason": s.reason, "where": s.where,
             "expires": s.expires.isoformat() if s.expires else None}
            for f, s in suppressed
        ],
        "warnings": list(result.warnings),
        "summary": summary(result, drifts),
    }
