"""exit_code: incomplete wins, then findings at or above the threshold."""

from __future__ import annotations

import pytest

from garrison.model import Finding, Severity
from garrison.model.scan import ScanResult, ServerResult
from garrison.report.outcome import exit_code


def finding(severity: Severity) -> Finding:
    return Finding(rule="G1", title="t", severity=severity, server="s", target="server", location="",
                   message="m")


COMPLETE = ScanResult((ServerResult("a", "ok"), ServerResult("b", "skipped")))
INCOMPLETE = ScanResult((ServerResult("a", "ok"), ServerResult("b", "error", error="boom")))


@pytest.mark.parametrize(
    ("result", "severities", "fail_on", "code"),
    [
        (COMPLETE, [], Severity.HIGH, 0),
        (COMPLETE, [Severity.MEDIUM], Severity.HIGH, 0),
        (COMPLETE, [Severity.MEDIUM, Severity.HIGH], Severity.HIGH, 1),
        (COMPLETE, [Severity.CRITICAL], Severity.HIGH, 1),
        (COMPLETE, [Severity.INFO], Severity.INFO, 1),
        (INCOMPLETE, [], Severity.HIGH, 3),
        (INCOMPLETE, [Severity.CRITICAL], Severity.HIGH, 3),
    ],
)
def test_exit_code(result: ScanResult, severities: list[Severity], fail_on: Severity, code: int) -> None:
    assert exit_code(result, [finding(s) for s in severities], fail_on) == code
