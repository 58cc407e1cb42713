"""The scan core: snapshots → findings. Pure; the CLI does the connecting, storing and printing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from garrison.model import Finding, ServerSnapshot
from garrison.scanner.checks.interface import Check, ScanContext

__all__ = ["analyse"]


def analyse(
    servers: Sequence[ServerSnapshot],
    *,
    checks: Iterable[Check] | None = None,
    reference_names: Sequence[str] = (),
) -> list[Finding]:
    """Run ``checks`` (default: every registered check) over ``servers``; findings worst first, deduplicated."""
    if checks is None:
        from garrison.scanner.registry import all_checks

        checks = all_checks()
    ctx = ScanContext(servers=tuple(servers), reference_names=tuple(reference_names))
    seen: set[str] = set()
    out: list[Finding] = []
    for check in checks:
        for finding in check.run(ctx):
            fp = finding.fingerprint
            if fp not in seen:
                seen.add(fp)
                out.append(finding)
    out.sort(key=Finding.sort_key)
    return out
