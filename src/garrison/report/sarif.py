"""SARIF 2.1.0 for code-scanning dashboards.

Each finding is a result with a logical location ``server/target#location`` and, when the server's client
config file is known, a physical location pointing at that file. ``partialFingerprints`` carries
:attr:`Finding.fingerprint`, so dashboards track a finding across runs. An incomplete scan is an
unsuccessful invocation, with one notification per server that could not be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from garrison import __version__
from garrison.model import CheckInfo, Finding, LaunchSpec, Severity
from garrison.model.scan import ScanResult

__all__ = ["FINGERPRINT_KEY", "SARIF_SCHEMA", "SARIF_VERSION", "artifact_uri", "level", "to_sarif"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "garrisonFingerprint/v1"

_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def level(severity: Severity) -> str:
    """SARIF ``level``: ``error`` for high and critical, ``warning`` for medium, ``note`` below."""
    if severity >= Severity.HIGH:
        return "error"
    return "warning" if severity == Severity.MEDIUM else "note"


def artifact_uri(path: str) -> str:
    """A ``file://`` URI for an absolute path (POSIX or Windows), a relative POSIX path otherwise."""
    if PureWindowsPath(path).drive:
        return PureWindowsPath(path).as_uri()
    if path.startswith("/"):
        return PurePosixPath(path).as_uri()
    return path.replace("\\", "/")


def _rule(info: CheckInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": info.slug,
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.title},
        "help": {"text": info.remediation or info.title},
        "defaultConfiguration": {"level": level(info.severity)},
        "properties": {
            "security-severity": _SECURITY_SEVERITY[info.severity],
            "severity": info.severity.label,
            "tags": ["security", *info.techniques],
        },
    }


def _adhoc_info(finding: Finding) -> CheckInfo:
    return CheckInfo(finding.rule, finding.rule.lower(), finding.title, finding.severity, finding.remediation,
                     finding.techniques)


def _launches(result: ScanResult) -> dict[str, LaunchSpec]:
    out: dict[str, LaunchSpec] = {}
    for server in result.servers:
        launch = server.launch or (server.snapshot.launch if server.snapshot else None)
        if launch is not None:
            out[server.name] = launch
    return out


def _result(finding: Finding, index: int, launch: LaunchSpec | None) -> dict[str, Any]:
    qualified = f"{finding.server}/{finding.target}" + (f"#{finding.location}" if finding.location else "")
    location: dict[str, Any] = {
        "logicalLocations": [{"fullyQualifiedName": qualified, "name": finding.target, "kind": "member"}],
    }
    if launch is not None and launch.config_path:
        location["physicalLocation"] = {"artifactLocation": {"uri": artifact_uri(launch.config_path)}}
    properties: dict[str, Any] = {"severity": finding.severity.label, "server": finding.server}
    if finding.evidence is not None:
        properties["evidence"] = finding.evidence.to_json()
    if finding.related:
        properties["related"] = list(finding.related)
    return {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": level(finding.severity),
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": properties,
    }


def to_sarif(result: ScanResult, rules: Sequence[CheckInfo]) -> dict[str, Any]:
    """A SARIF log with one run. ``rules`` describes every rule that may appear; a finding of an unlisted rule
    gets a rule entry built from the finding itself."""
    infos: dict[str, CheckInfo] = {}
    for info in rules:
        infos.setdefault(info.id, info)
    for finding in result.findings:
        infos.setdefault(finding.rule, _adhoc_info(finding))
    index = {rule_id: i for i, rule_id in enumerate(infos)}
    launches = _launches(result)
    notifications = [
        {"level": "error", "message": {"text": f"server {s.name!r}: {s.status}: {s.error or 'no detail'}"}}
        for s in result.servers if s.status in ("error", "timeout")
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "Garrison",
                "semanticVersion": __version__,
                "rules": [_rule(info) for info in infos.values()],
            }},
            "invocations": [{
                "executionSuccessful": not result.incomplete,
                "toolExecutionNotifications": notifications,
            }],
            "results": [
                _result(f, index[f.rule], launches.get(f.server))
                for f in sorted(result.findings, key=Finding.sort_key)
            ],
            "properties": {"incomplete": result.incomplete, "warnings": list(result.warnings)},
        }],
    }
