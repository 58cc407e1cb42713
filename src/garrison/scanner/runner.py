"""The scan core: snapshots → findings. Pure; the CLI does the connecting, storing and printing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from garrison.model import Finding, ServerSnapshot, Severity
from garrison.scanner.checks.interface import Check, ScanContext

__all__ = ["analyse", "flagged_definitions"]


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


def flagged_definitions(
    findings: Iterable[Finding], servers: Sequence[ServerSnapshot], *, threshold: Severity = Severity.MEDIUM
) -> set[tuple[str, str]]:
    """``(server, kind:key)`` of every definition a finding at or above ``threshold`` speaks against.

    A finding that targets a definition flags that definition. A finding that targets the server itself (a
    server name that squats another, poisoned server instructions) flags every definition of that server: a
    model reads them all through the same untrusted server. Findings on the launch config, on flows and on
    pins flag no definition.
    """
    by_name = {s.name: s for s in servers}
    out: set[tuple[str, str]] = set()
    for f in findings:
        if f.severity < threshold:
            continue
        if f.target == "server" and f.server in by_name:
            out.update((f.server, d.ref) for d in by_name[f.server].definitions)
        elif ":" in f.target and not f.target.startswith("flow:"):
            out.add((f.server, f.target))
    return out
