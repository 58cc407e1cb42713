"""to_json: the documented, versioned schema; validated against scan-report.schema.json."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

import jsonschema
import pytest

from garrison.model import Definition, ServerSnapshot
from garrison.model.scan import ScanResult, ServerResult
from garrison.pins import compare, pin
from garrison.report.json_report import SCHEMA_ID, to_json
from garrison.scanner.suppressions import Suppression


def schema() -> dict[str, Any]:
    text = (resources.files("garrison.report") / "scan-report.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def drifts() -> list[Any]:
    old = ServerSnapshot(name="fs", tools=(Definition("tool", {"name": "t", "description": "a"}),))
    new = ServerSnapshot(name="fs", tools=(Definition("tool", {"name": "t", "description": "b"}),))
    return compare(pin([old], now=datetime(2026, 1, 1, tzinfo=UTC)), [new, ServerSnapshot(name="web")])


def test_report_validates_and_round_trips_through_json(scan: ScanResult) -> None:
    entry = Suppression("G301", "accepted", expires=date(2026, 3, 1), where="s.yaml:2")
    suppressed = [(scan.findings[2], entry)]
    report = to_json(scan, drifts(), suppressed=suppressed, generated=1767225700.0)
    jsonschema.validate(json.loads(json.dumps(report)), schema())
    assert report["schema"] == SCHEMA_ID
    assert report["generated"] == "2026-01-01T00:01:40.000000Z"
    assert report["started"] == "2026-01-01T00:00:00.000000Z"
    assert report["incomplete"] is True
    assert report["suppressed"][0]["expires"] == "2026-03-01"


def test_servers_findings_and_summary(scan: ScanResult) -> None:
    report = to_json(scan, drifts(), generated=0.0)
    fs = report["servers"][0]
    assert fs == {
        "name": "fs", "status": "ok", "error": None, "elapsed": 0.5, "transport": "stdio",
        "client": "claude-desktop", "config_path": "/home/ann/.config/Claude/claude_desktop_config.json",
        "server_info": {"name": "fs-server", "version": "1.0"},
        "counts": {"tools": 1, "prompts": 0, "resources": 0, "resource_templates": 0}, "findings": 2,
    }
    assert report["servers"][2]["error"] == "no answer in 10 s"
    assert [f["rule"] for f in report["findings"]] == ["G101", "G201", "G301"]
    assert report["findings"][0] == scan.findings[0].to_json()
    assert [(d["target"], d["kind"]) for d in report["drift"]] == [
        ("tool:t", "changed"), ("server", "unpinned_server")]
    assert report["summary"] == {
        "servers": 4,
        "by_status": {"ok": 2, "error": 0, "timeout": 1, "skipped": 1},
        "findings": 3,
        "by_severity": {"critical": 0, "high": 1, "medium": 1, "low": 0, "info": 1},
        "worst": "high",
        "drift": 2,
        "incomplete": True,
    }
    assert report["warnings"] == ["cannot parse /etc/x.json"]


def test_empty_clean_scan_validates() -> None:
    report = to_json(ScanResult((ServerResult("a", "ok"),)), generated=1.0)
    jsonschema.validate(report, schema())
    assert report["incomplete"] is False
    assert report["started"] is None
    assert report["summary"]["worst"] is None


@pytest.mark.parametrize("field", ["schema", "summary", "findings"])
def test_schema_rejects_a_report_missing_a_field(scan: ScanResult, field: str) -> None:
    report = to_json(scan, generated=1.0)
    del report[field]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, schema())
