"""G2xx: invisible or obfuscated content in definitions and server instructions. Hidden content is a finding
by itself; what it says decides how severe it is (a decoded instruction is worse than a stray joiner)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from garrison.analysis.definitions import MAX_TEXT_CHARS, revealed, sites
from garrison.analysis.directives import analyse_text
from garrison.analysis.normalize import HiddenSpan, make_visible
from garrison.model import CheckInfo, Evidence, Finding, Severity
from garrison.scanner.checks.interface import ScanContext

__all__ = ["CHECK", "HiddenContentCheck"]

_FIX = "Ask the server's author to remove it; compare with the published source; pin the server once clean."

INVISIBLE = CheckInfo(
    "G201", "invisible-characters", "Invisible or direction-changing characters", Severity.MEDIUM,
    "Zero-width, bidirectional-control, tag and selector characters show a person something other than what "
    "the model reads. " + _FIX, ("AML.T0051", "T1027"))
ANSI = CheckInfo(
    "G202", "ansi-escape", "Terminal escape sequences", Severity.MEDIUM,
    "Escape sequences can hide or rewrite text in terminal views of the definition. " + _FIX,
    ("AML.T0051", "T1027"))
ENCODED = CheckInfo(
    "G203", "encoded-payload", "Encoded text the model can decode", Severity.MEDIUM,
    "Base64, hex and escaped text hides its message from a person reviewing the definition. " + _FIX,
    ("AML.T0051", "T1027"))
COMMENT = CheckInfo(
    "G204", "hidden-comment", "HTML comment in model-facing text", Severity.LOW,
    "Markdown views hide HTML comments, the model still reads them. " + _FIX, ("AML.T0051", "T1027"))
CONFUSABLE = CheckInfo(
    "G205", "confusable-characters", "Look-alike characters", Severity.MEDIUM,
    "Words that mix Latin with look-alike letters evade reviews and filters. " + _FIX, ("AML.T0051", "T1036"))
OVERSIZED = CheckInfo(
    "G207", "oversized-text", "Text too long to analyse in full", Severity.MEDIUM,
    f"Only the first {MAX_TEXT_CHARS:,} characters of a field are analysed; nothing legitimate needs more. "
    + _FIX, ("AML.T0051",))
PADDING = CheckInfo(
    "G206", "whitespace-padding", "Long blank runs that push text out of view", Severity.LOW,
    "Content after a long run of blank space is easy to miss in a review. " + _FIX, ("AML.T0051",))

_BY_KIND = {
    "zero_width": INVISIBLE, "bidi": INVISIBLE, "tag_chars": INVISIBLE, "variation_selector": INVISIBLE,
    "control": INVISIBLE, "ansi": ANSI, "base64": ENCODED, "hex": ENCODED, "url_encoded": ENCODED,
    "escape": ENCODED, "html_entity": ENCODED, "html_comment": COMMENT, "confusable": CONFUSABLE,
    "padding": PADDING,
}
_ALWAYS_HIGH = frozenset({"tag_chars", "variation_selector"})
"""Kinds that have no use in model-facing text other than smuggling."""


class HiddenContentCheck:
    infos: ClassVar[tuple[CheckInfo, ...]] = (INVISIBLE, ANSI, ENCODED, COMMENT, CONFUSABLE, PADDING, OVERSIZED)

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        for server in ctx.servers:
            for site in sites(server):
                if len(site.text) > MAX_TEXT_CHARS:
                    yield OVERSIZED.finding(
                        server=server.name, target=site.target, location=site.location,
                        message=f"{len(site.text):,} characters; only the first {MAX_TEXT_CHARS:,} were analysed",
                        evidence=Evidence(make_visible(site.text[:200])))
                shown = revealed(site.text)
                if not shown.hidden:
                    continue
                groups: dict[str, list[HiddenSpan]] = {}
                for span in shown.hidden:
                    groups.setdefault(_BY_KIND[span.kind].id, []).append(span)
                for rule, spans in groups.items():
                    info = next(i for i in self.infos if i.id == rule)
                    severity = info.severity
                    if any(s.kind in _ALWAYS_HIGH for s in spans):
                        severity = Severity.HIGH
                    decoded = " ".join(s.decoded for s in spans)
                    says = [d for d in analyse_text(decoded, site.scope) if d.severity >= Severity.MEDIUM]
                    if says:
                        severity = Severity.CRITICAL if severity >= Severity.HIGH else Severity.HIGH
                    first = spans[0]
                    kinds = ", ".join(sorted({s.kind.replace("_", " ") for s in spans}))
                    message = f"{len(spans)} hidden span(s): {kinds}"
                    if says:
                        message += f"; the hidden text {says[0].reason}"
                    yield info.finding(
                        server=server.name,
                        target=site.target,
                        location=site.location,
                        message=message,
                        evidence=Evidence(make_visible(site.text[first.start : first.end])[:500], first.start,
                                          first.end, decoded=decoded[:500]),
                        severity=severity,
                    )


CHECK = HiddenContentCheck()
