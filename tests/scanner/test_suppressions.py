"""Suppressions file: parsing errors name file:line; apply() keeps, suppresses and warns on expiry."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from garrison.errors import ConfigParseError, LimitExceeded
from garrison.model import Finding, Severity
from garrison.scanner.suppressions import Suppression, apply, load_suppressions, parse_suppressions


def finding(rule: str = "G801", server: str = "fs", target: str = "tool:write_file") -> Finding:
    return Finding(rule=rule, title="t", severity=Severity.HIGH, server=server, target=target, location="",
                   message="m")


GOOD = """\
# accepted risks
suppressions:
  - rule: G802
    server: fs
    target: "tool:write_*"
    reason: reviewed in SEC-1234
    expires: 2026-06-30
  - rule: G804
    reason: lab servers are never pinned
"""


def test_load_parses_entries_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / ".garrison-suppressions.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_suppressions(path) == [
        Suppression(rule="G802", reason="reviewed in SEC-1234", server="fs", target="tool:write_*",
                    expires=date(2026, 6, 30), where=f"{path}:3"),
        Suppression(rule="G804", reason="lab servers are never pinned", where=f"{path}:8"),
    ]


def test_bare_list_and_empty_files() -> None:
    assert parse_suppressions("- rule: G801\n  reason: ok\n")[0].rule == "G801"
    assert parse_suppressions("") == []
    assert parse_suppressions("suppressions:\n") == []


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("suppressions:\n  - rule: G801\n", 2, "has no 'reason'"),
        ("suppressions:\n  - rule: G801\n    reason: ''\n", 3, "has no 'reason'"),
        ("suppressions:\n  - rule: G801\n    reason: x\n    expire: 2026-01-01\n", 4, "unknown key 'expire'"),
        ("suppressions:\n  - rule: G801\n    reason: x\n    expires: 2026-13-01\n", 4, "YYYY-MM-DD"),
        ("suppressions:\n  - rule: G801\n    reason: x\n    expires: tomorrow\n", 4, "YYYY-MM-DD"),
        ("suppressions:\n  - reason: x\n", 2, "'rule' must name a rule ID"),
        ("suppressions:\n  - rule: [G801]\n    reason: x\n", 2, "'rule' must be a string"),
        ("suppressions:\n  - rule: G801\n    reason: x\n    reason: y\n", 4, "given twice"),
        ("suppressions:\n  - G801\n", 2, "must be a mapping"),
        ("rules:\n  - rule: G801\n", 1, "top-level 'suppressions'"),
        ("suppressions: G801\n", 1, "must be a list"),
        ("suppressions:\n  - rule: G801\n    reason: [unclosed\n", 4, "invalid YAML"),
        ("a: &x {rule: G801, reason: r}\nsuppressions: [*x, *x]\n", 1, "aliases"),
    ],
)
def test_malformed_files_name_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ConfigParseError, match=message) as err:
        parse_suppressions(text, path="s.yaml")
    assert err.value.where == f"s.yaml:{line}"


def test_missing_oversized_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigParseError, match="cannot read suppressions"):
        load_suppressions(tmp_path / "absent.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 200 + "\n", encoding="utf-8")
    with pytest.raises(LimitExceeded):
        load_suppressions(big, max_bytes=100)
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"suppressions:\n  - rule: G801\n    reason: \xff\n")
    with pytest.raises(ConfigParseError, match="not UTF-8"):
        load_suppressions(bad)


def test_apply_matches_rule_server_and_target_patterns() -> None:
    entries = parse_suppressions(GOOD, path="s.yaml")
    findings = [
        finding("G802", "fs", "tool:write_file"),
        finding("G802", "fs", "tool:read_file"),
        finding("G802", "web", "tool:write_file"),
        finding("G804", "anything", "server"),
        finding("G801", "fs", "tool:write_file"),
    ]
    kept, suppressed, warnings = apply(findings, entries, date(2026, 6, 30))
    assert kept == [findings[1], findings[2], findings[4]]
    assert suppressed == [(findings[0], entries[0]), (findings[3], entries[1])]
    assert warnings == []


def test_expired_entry_stops_suppressing_and_warns() -> None:
    entries = parse_suppressions(GOOD, path="s.yaml")
    target = finding("G802", "fs", "tool:write_file")
    kept, suppressed, warnings = apply([target], entries, date(2026, 7, 1))
    assert kept == [target]
    assert suppressed == []
    assert warnings == [
        "s.yaml:3: suppression of G802 expired on 2026-06-30; its findings are reported again"]
