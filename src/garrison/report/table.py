"""The terminal report: servers worst first, each with its status and findings, the offending text
highlighted and every hidden character shown as a marker; then pin drift as diffs; then a summary line.

All server-supplied text is rendered as plain :class:`rich.text.Text`, never as markup, and passed through
:func:`make_visible`, so a description cannot style, hide or rewrite the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from garrison.analysis.normalize import make_visible
from garrison.model import Evidence, Finding, Severity
from garrison.model.scan import ScanResult, ServerResult
from garrison.report.json_report import summary

if TYPE_CHECKING:
    from garrison.pins import Drift

__all__ = ["CONTEXT_CHARS", "evidence_text", "render_table", "summary_line"]

CONTEXT_CHARS = 60
"""Characters of context shown on each side of the evidence span."""

_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_STATUS_STYLE = {"ok": "green", "error": "bold red", "timeout": "bold red", "skipped": "dim"}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def evidence_text(evidence: Evidence, *, context: int = CONTEXT_CHARS) -> Text:
    """The evidence with its span highlighted and up to ``context`` characters either side."""
    text = evidence.text
    start = 0 if evidence.start is None else max(0, min(evidence.start, len(text)))
    end = len(text) if evidence.end is None else max(start, min(evidence.end, len(text)))
    lo, hi = max(0, start - context), min(len(text), end + context)
    out = Text()
    if lo > 0:
        out.append("…", style="dim")
    out.append(make_visible(text[lo:start]))
    out.append(make_visible(text[start:end]), style="bold red reverse")
    out.append(make_visible(text[end:hi]))
    if hi < len(text):
        out.append("…", style="dim")
    if evidence.decoded is not None:
        out.append("\n  decoded: ", style="dim")
        out.append(make_visible(evidence.decoded), style="bold red")
    return out


def _findings_table(findings: Sequence[Finding]) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=False)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Target")
    table.add_column("Finding")
    for f in findings:
        target = make_visible(f.target + (f"  {f.location}" if f.location else ""))
        body = Text(make_visible(f.message))
        if f.evidence is not None:
            body.append("\n")
            body.append_text(evidence_text(f.evidence))
        table.add_row(Text(f.severity.label.upper(), style=_SEVERITY_STYLE[f.severity]), Text(f.rule),
                      Text(target), body)
    return table


def _server_header(server: ServerResult, count: int) -> Text:
    header = Text()
    header.append(make_visible(server.name), style="bold")
    header.append("  ")
    header.append(server.status, style=_STATUS_STYLE[server.status])
    snap = server.snapshot
    if snap is not None:
        counts = (f"  {len(snap.tools)} tools, {len(snap.prompts)} prompts, {len(snap.resources)} resources, "
                  f"{len(snap.resource_templates)} templates")
        header.append(counts, style="dim")
    if server.elapsed is not None:
        header.append(f"  {server.elapsed:.2f}s", style="dim")
    header.append(f"  {_plural(count, 'finding')}")
    if server.error:
        header.append("\n  ")
        header.append(make_visible(server.error), style="red")
    return header


def _diff_text(diff: str) -> Text:
    out = Text()
    for line in diff.splitlines():
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else None
        if line.startswith(("---", "+++")):
            style = "bold"
        elif line.startswith("@@"):
            style = "cyan"
        out.append(make_visible(line) + "\n", style=style)
    out.rstrip()
    return out


def summary_line(result: ScanResult, drifts: Sequence[Drift] = ()) -> Text:
    """``3 servers: 2 ok, 1 timeout · 4 findings: 1 high, 3 medium · 2 drifted · INCOMPLETE``."""
    s = summary(result, drifts)
    statuses = ", ".join(f"{n} {k}" for k, n in s["by_status"].items() if n)
    line = Text(_plural(s["servers"], "server") + (f": {statuses}" if statuses else ""))
    line.append(" · ")
    if s["findings"]:
        severities = ", ".join(f"{n} {k}" for k, n in s["by_severity"].items() if n)
        line.append(f"{_plural(s['findings'], 'finding')}: {severities}",
                    style=_SEVERITY_STYLE[Severity.parse(s["worst"])])
    else:
        line.append("no findings", style="green")
    if drifts:
        line.append(f" · {len(drifts)} drifted", style="yellow")
    if result.incomplete:
        line.append(" · INCOMPLETE: not every server could be read", style="bold red")
    return line


def render_table(result: ScanResult, drifts: Sequence[Drift], console: Console) -> None:
    """Print the report to ``console``."""
    by_server: dict[str, list[Finding]] = {}
    for f in sorted(result.findings, key=Finding.sort_key):
        by_server.setdefault(f.server, []).append(f)
    known = {s.name for s in result.servers}
    servers = list(result.servers) + [ServerResult(name, "ok") for name in by_server if name not in known]

    def order(server: ServerResult) -> tuple[int, int, str]:
        found = by_server.get(server.name, [])
        worst = max((int(f.severity) for f in found), default=-1)
        broken = server.status in ("error", "timeout")
        return (-worst, 0 if broken else 1, server.name)

    for server in sorted(servers, key=order):
        found = by_server.get(server.name, [])
        parts: list[Text | Table] = [_server_header(server, len(found))]
        if found:
            parts.append(_findings_table(found))
        console.print(Group(*parts))
        console.print()
    for drift in drifts:
        title = Text(f"pin drift: {make_visible(drift.server)}/{make_visible(drift.target)} ({drift.kind})")
        body = _diff_text(drift.diff) if drift.diff else Text("(no content to show)", style="dim")
        console.print(Panel(body, title=title, title_align="left", border_style="yellow"))
    for warning in result.warnings:
        console.print(Text("warning: ", style="yellow") + Text(make_visible(warning)))
    console.print(summary_line(result, drifts))
