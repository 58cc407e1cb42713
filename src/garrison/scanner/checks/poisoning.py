"""G1xx: tool poisoning. Sentences in definitions and server instructions that steer the model outside the
definition's purpose: instruction overrides and exfiltration directions, secrecy towards the user, sensitive
files and credentials, preference manipulation, tool transfer and hijacking of other tools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from garrison.analysis.definitions import analyse_site, evidence_for, sites
from garrison.analysis.directives import Directive, DirectiveKind
from garrison.model import CheckInfo, Finding, Severity
from garrison.scanner.checks.interface import ScanContext

__all__ = ["CHECK", "PoisoningCheck"]

_REVIEW = "Review the definition's full text as the model reads it; remove or pin the server if unsure."

INSTRUCTION = CheckInfo(
    "G101", "instruction-to-model", "Instruction to the model outside the tool's purpose", Severity.HIGH,
    "A definition should describe its tool, not direct the model to override its instructions or send data "
    "elsewhere. " + _REVIEW, ("AML.T0051", "AML.T0057"))
SECRECY = CheckInfo(
    "G102", "secrecy", "Asks the model to hide behaviour from the user", Severity.HIGH,
    "Legitimate tools do not ask the model to keep things from the user. " + _REVIEW, ("AML.T0051",))
SENSITIVE = CheckInfo(
    "G103", "sensitive-file-reference", "Refers to sensitive files or credentials", Severity.HIGH,
    "Check why this definition points the model at credentials, keys or client configuration that the tool "
    "does not manage. " + _REVIEW, ("AML.T0051", "T1552.001"))
PREFERENCE = CheckInfo(
    "G104", "preference-manipulation", "Steers the model's choice of tool", Severity.MEDIUM,
    "Superlatives and exclusivity claims bias tool selection towards this server. " + _REVIEW, ("AML.T0051",))
TRANSFER = CheckInfo(
    "G105", "tool-transfer", "Redirects the model to another tool", Severity.MEDIUM,
    "A 'deprecated, use X instead' note that names a tool of another server hands the task to that server. "
    + _REVIEW, ("AML.T0051",))
HIJACK = CheckInfo(
    "G106", "tool-hijack", "Changes how other tools are used", Severity.HIGH,
    "A definition that inserts itself before or after other tools, or changes their values, tampers with "
    "their behaviour. " + _REVIEW, ("AML.T0051",))

_BY_KIND: dict[DirectiveKind, CheckInfo] = {
    "injection": INSTRUCTION,
    "exfiltration": INSTRUCTION,
    "secrecy": SECRECY,
    "sensitive": SENSITIVE,
    "preference": PREFERENCE,
    "transfer": TRANSFER,
    "hijack": HIJACK,
}


class PoisoningCheck:
    infos: ClassVar[tuple[CheckInfo, ...]] = (INSTRUCTION, SECRECY, SENSITIVE, PREFERENCE, TRANSFER, HIJACK)

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        for server in ctx.servers:
            for site in sites(server):
                analysis = analyse_site(site)
                worst: dict[str, tuple[Directive, int]] = {}
                for directive in analysis.directives:
                    info = _BY_KIND[directive.kind]
                    best, count = worst.get(info.id, (directive, 0))
                    if directive.severity > best.severity:
                        best = directive
                    worst[info.id] = (best, count + 1)
                for rule, (directive, count) in worst.items():
                    info = next(i for i in self.infos if i.id == rule)
                    more = f" ({count} sentences)" if count > 1 else ""
                    yield info.finding(
                        server=server.name,
                        target=site.target,
                        location=site.location,
                        message=f"{directive.reason}{more}",
                        evidence=evidence_for(analysis, directive.start, directive.end),
                        severity=directive.severity,
                    )


CHECK = PoisoningCheck()
