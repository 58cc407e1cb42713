"""render_table: worst server first, hidden characters visible, untrusted text never styled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rich.console import Console

from garrison.model import Definition, Evidence, ServerSnapshot
from garrison.model.scan import ScanResult, ServerResult
from garrison.pins import Drift, compare, pin
from garrison.report.table import evidence_text, render_table, summary_line
from garrison.report.visible import escape_hidden_json, is_hidden


def render(result: ScanResult, drifts: Sequence[Drift] = ()) -> str:
    console = Console(record=True, width=200, color_system=None, force_terminal=False, _environ={})
    render_table(result, drifts, console)
    return console.export_text()


def test_servers_are_ordered_worst_first_with_status_and_summary(scan: ScanResult) -> None:
    out = render(scan)
    order = [out.index(f"{name}  ") for name in ("fs  ok", "web  ok", "slow  timeout", "off  skipped")]
    assert order == sorted(order)
    assert "no answer in 10 s" in out
    assert "1 tools, 0 prompts" in out
    assert out.rstrip().splitlines()[-1] == (
        "4 servers: 2 ok, 1 timeout, 1 skipped · 3 findings: 1 high, 1 medium, 1 info · "
        "INCOMPLETE: not every server could be read")
    assert "warning: cannot parse /etc/x.json" in out


def test_hidden_characters_are_shown_and_markup_is_not_interpreted(scan: ScanResult) -> None:
    out = render(scan)
    assert "⟨U+200B⟩" in out
    assert "⟨ESC[8m⟩" in out
    assert "\u200b" not in out
    assert "\x1b" not in out
    assert "[bold]not markup[/bold]" in out


def test_evidence_span_is_highlighted_with_context() -> None:
    text = "x" * 100 + "EVIL" + "y" * 100
    rendered = evidence_text(Evidence(text, 100, 104), context=10)
    assert rendered.plain == "…" + "x" * 10 + "EVIL" + "y" * 10 + "…"
    [span] = [s for s in rendered.spans if "reverse" in str(s.style)]
    assert rendered.plain[span.start:span.end] == "EVIL"


def test_evidence_with_bad_offsets_and_decoded_text() -> None:
    rendered = evidence_text(Evidence("abc", 5, 2, decoded="hidden\u200b"))
    assert rendered.plain == "abc\n  decoded: hidden⟨U+200B⟩"
    whole = evidence_text(Evidence("abc"))
    assert [whole.plain[s.start:s.end] for s in whole.spans if "reverse" in str(s.style)] == ["abc"]


def test_drift_is_shown_as_a_diff() -> None:
    old = ServerSnapshot(name="fs", tools=(Definition("tool", {"name": "t", "description": "Reads."}),))
    new = ServerSnapshot(name="fs", tools=(Definition("tool", {"name": "t", "description": "Reads.\u200b"}),))
    drifts = compare(pin([old], now=datetime(2026, 1, 1, tzinfo=UTC)), [new])
    result = ScanResult((ServerResult("fs", "ok", snapshot=new),))
    out = render(result, drifts)
    assert "pin drift: fs/tool:t (changed)" in out
    assert '-  "description": "Reads.",' in out
    assert '+  "description": "Reads.\\u200b",' in out
    assert out.rstrip().splitlines()[-1] == "1 server: 1 ok · no findings · 1 drifted"


def test_summary_of_a_clean_scan() -> None:
    assert summary_line(ScanResult(())).plain == "0 servers · no findings"


def test_hidden_characters_are_escaped_in_json_text() -> None:
    import json

    text = json.dumps({"d": "a\u200bb\u202e\U000e0041\ufe0f\u00a0\ue000 naïve 日本語"}, ensure_ascii=False)
    escaped = escape_hidden_json(text)
    assert escaped == '{"d": "a\\u200bb\\u202e\\udb40\\udc41\\ufe0f\\u00a0\\ue000 naïve 日本語"}'
    assert json.loads(escaped) == json.loads(text)
    assert not any(is_hidden(ch) for ch in "naïve 日本語\n\t")
