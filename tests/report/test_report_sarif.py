"""to_sarif: structure checked against a schema of the SARIF subset Garrison emits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from garrison.model import CheckInfo, Severity
from garrison.model.scan import ScanResult, ServerResult
from garrison.pins import PIN_INFOS
from garrison.report.sarif import FINGERPRINT_KEY, artifact_uri, level, to_sarif

SUBSET = Path(__file__).with_name("sarif-subset.schema.json")
RULES = (
    CheckInfo("G101", "hidden-instructions", "Hidden instructions", Severity.HIGH, "Remove the server.",
              ("AML.T0051",)),
    *PIN_INFOS,
)


def subset() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SUBSET.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def test_sarif_validates_against_the_subset(scan: ScanResult) -> None:
    log = to_sarif(scan, RULES)
    jsonschema.validate(json.loads(json.dumps(log)), subset())
    assert log["version"] == "2.1.0"


def test_rules_carry_metadata_and_unlisted_rules_are_added(scan: ScanResult) -> None:
    run = to_sarif(scan, RULES)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["G101", *[i.id for i in PIN_INFOS], "G201", "G301"]
    assert rules[0] == {
        "id": "G101",
        "name": "hidden-instructions",
        "shortDescription": {"text": "Hidden instructions"},
        "fullDescription": {"text": "Hidden instructions"},
        "help": {"text": "Remove the server."},
        "defaultConfiguration": {"level": "error"},
        "properties": {"security-severity": "8.0", "severity": "high", "tags": ["security", "AML.T0051"]},
    }
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_results_locations_and_fingerprints(scan: ScanResult) -> None:
    results = to_sarif(scan, RULES)["runs"][0]["results"]
    first = results[0]
    assert first["ruleId"] == "G101"
    assert first["level"] == "error"
    assert first["partialFingerprints"] == {FINGERPRINT_KEY: scan.findings[0].fingerprint}
    assert first["locations"] == [{
        "logicalLocations": [{"fullyQualifiedName": "fs/tool:read_file#description", "name": "tool:read_file",
                              "kind": "member"}],
        "physicalLocation": {"artifactLocation": {
            "uri": "file:///home/ann/.config/Claude/claude_desktop_config.json"}},
    }]
    web = results[1]
    assert web["locations"] == [{"logicalLocations": [{"fullyQualifiedName": "web/server", "name": "server",
                                                       "kind": "member"}]}]
    assert web["level"] == "warning"
    assert results[2]["level"] == "note"


def test_incomplete_scan_is_an_unsuccessful_invocation(scan: ScanResult) -> None:
    invocation = to_sarif(scan, RULES)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"] == [
        {"level": "error", "message": {"text": "server 'slow': timeout: no answer in 10 s"}}]
    clean = to_sarif(ScanResult((ServerResult("a", "ok"),)), RULES)
    assert clean["runs"][0]["invocations"][0]["executionSuccessful"] is True
    assert clean["runs"][0]["results"] == []


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("/etc/mcp.json", "file:///etc/mcp.json"),
        ("C:\\Users\\ann\\mcp.json", "file:///C:/Users/ann/mcp.json"),
        (".vscode/mcp.json", ".vscode/mcp.json"),
        ("a dir/mcp.json", "a dir/mcp.json"),
    ],
)
def test_artifact_uri(path: str, uri: str) -> None:
    assert artifact_uri(path) == uri


def test_levels() -> None:
    assert [level(s) for s in Severity] == ["note", "note", "warning", "error", "error"]
