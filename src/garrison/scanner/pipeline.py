"""One scan, end to end, as a pure function: per-server results → findings, drift and suppressions.

The CLI collects the results (discovery + connecting, or snapshot files), loads the lockfile and the
suppressions, calls :func:`evaluate`, then stores and prints the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from garrison.model import Finding
from garrison.model.scan import ScanResult, ServerResult
from garrison.pins import Drift, Lockfile, compare, drift_findings
from garrison.scanner.runner import analyse
from garrison.scanner.suppressions import Suppression, apply

__all__ = ["ScanOutcome", "evaluate"]


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    result: ScanResult
    """``result.findings`` holds the findings that were not suppressed (drift findings included)."""
    drifts: tuple[Drift, ...]
    suppressed: tuple[tuple[Finding, Suppression], ...]


def evaluate(
    results: Sequence[ServerResult],
    *,
    lock: Lockfile | None,
    suppressions: Sequence[Suppression] = (),
    today: date,
    started: float = 0.0,
    finished: float = 0.0,
    warnings: Sequence[str] = (),
    unread_configs: Sequence[str] = (),
) -> ScanOutcome:
    """Analyse every snapshot, compare the servers that answered with ``lock`` and apply ``suppressions``.

    Only servers whose status is ``ok`` are compared with their pins: a server that failed or was skipped
    has no surface to compare, and its pins are neither judged nor changed.
    """
    snapshots = [r.snapshot for r in results if r.snapshot is not None]
    findings = analyse(snapshots)
    drifts: list[Drift] = []
    if lock is not None:
        drifts = compare(lock, [r.snapshot for r in results if r.status == "ok" and r.snapshot is not None])
        findings.extend(drift_findings(drifts))
        findings.sort(key=Finding.sort_key)
    kept, suppressed, expired = apply(findings, suppressions, today)
    result = ScanResult(
        servers=tuple(results),
        findings=tuple(kept),
        started=started,
        finished=finished,
        warnings=(*warnings, *expired),
        unread_configs=tuple(unread_configs),
    )
    return ScanOutcome(result=result, drifts=tuple(drifts), suppressed=tuple(suppressed))

