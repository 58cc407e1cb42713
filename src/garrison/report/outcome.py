"""The exit code of a scan (README "Exit codes"). Pure.

An incomplete scan exits 3 even when it also has findings: a server that could not be read may hide
anything, so "incomplete" must never be mistaken for "these are all the problems". The findings are still
in the report; 3 tells CI that the run itself needs attention.
"""

from __future__ import annotations

from collections.abc import Sequence

from garrison.cli import exit_codes
from garrison.model import Finding, Severity
from garrison.model.scan import ScanResult

__all__ = ["exit_code"]


def exit_code(result: ScanResult, findings: Sequence[Finding], fail_on: Severity) -> int:
    """3 if ``result`` is incomplete; else 1 if any of ``findings`` (already without suppressed ones) is at or
    above ``fail_on``; else 0."""
    if result.incomplete:
        return exit_codes.INCOMPLETE
    if any(f.severity >= fail_on for f in findings):
        return exit_codes.FINDINGS
    return exit_codes.CLEAN
