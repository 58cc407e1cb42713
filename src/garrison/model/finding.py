"""Findings: what a check reports, with a stable rule ID, a severity and the evidence."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from garrison.model.hashing import digest
from garrison.model.severity import Severity

__all__ = ["CheckInfo", "Evidence", "Finding"]


@dataclass(frozen=True, slots=True)
class CheckInfo:
    """Class-level metadata of one check. ``id`` never changes once released; users suppress by it."""

    id: str
    slug: str
    title: str
    severity: Severity
    remediation: str
    techniques: tuple[str, ...] = ()
    """ATT&CK (``T…``) or ATLAS (``AML.T…``) technique IDs."""

    def finding(
        self,
        *,
        server: str,
        target: str,
        location: str,
        message: str,
        evidence: Evidence | None = None,
        severity: Severity | None = None,
        related: tuple[str, ...] = (),
    ) -> Finding:
        return Finding(
            rule=self.id,
            title=self.title,
            severity=self.severity if severity is None else severity,
            server=server,
            target=target,
            location=location,
            message=message,
            evidence=evidence,
            remediation=self.remediation,
            techniques=self.techniques,
            related=related,
        )


@dataclass(frozen=True, slots=True)
class Evidence:
    """The offending text. ``start``/``end`` index into the field's text; ``decoded`` shows hidden content."""

    text: str
    start: int | None = None
    end: int | None = None
    decoded: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text}
        if self.start is not None:
            out["start"] = self.start
            out["end"] = self.end
        if self.decoded is not None:
            out["decoded"] = self.decoded
        return out


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found on one server.

    ``target`` is ``kind:key`` of a definition (``tool:daily_report_analysis``), ``server`` for the server
    itself (instructions, identity) or ``launch`` for its launch config. ``location`` is the path inside the
    target (``inputSchema.properties.sidenote.description``).
    """

    rule: str
    title: str
    severity: Severity
    server: str
    target: str
    location: str
    message: str
    evidence: Evidence | None = None
    remediation: str = ""
    techniques: tuple[str, ...] = ()
    related: tuple[str, ...] = field(default=())
    """Other ``server/target`` references involved (the shadowed tool, the colliding server)."""

    @property
    def fingerprint(self) -> str:
        """Stable identity across runs (for suppressions, SARIF and the store)."""
        return digest([self.rule, self.server, self.target, self.location])

    def with_severity(self, severity: Severity) -> Finding:
        return replace(self, severity=severity)

    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (-int(self.severity), self.server, self.target, self.rule, self.location)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity.label,
            "server": self.server,
            "target": self.target,
            "location": self.location,
            "message": self.message,
            "evidence": self.evidence.to_json() if self.evidence else None,
            "remediation": self.remediation,
            "techniques": list(self.techniques),
            "related": list(self.related),
            "fingerprint": self.fingerprint,
        }
