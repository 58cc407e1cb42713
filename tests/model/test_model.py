from __future__ import annotations

import json
import math

import pytest

from garrison.errors import ConfigParseError, GarrisonError, SnapshotFormatError
from garrison.model import (
    CheckInfo,
    Definition,
    Evidence,
    LaunchSpec,
    Severity,
    canonical_json,
    digest,
    iter_texts,
    snapshots_from_json,
    snapshots_to_json,
)


def test_canonical_json_is_key_order_independent() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == b'{"a":[1,{"c":3,"d":2}],"b":1}'
    assert digest({"x": 1, "y": 2}) == digest({"y": 2, "x": 1})
    assert digest({"x": 1}).startswith("sha256:")
    assert digest({"x": "é"}) != digest({"x": "e"})


def test_canonical_json_rejects_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        canonical_json({"x": [math.nan]})


def test_severity_parse_and_order() -> None:
    assert Severity.parse("HIGH") is Severity.HIGH
    assert Severity.parse(" medium ") is Severity.MEDIUM
    assert Severity.CRITICAL > Severity.HIGH > Severity.MEDIUM > Severity.LOW > Severity.INFO
    with pytest.raises(ValueError, match="unknown severity 'severe'"):
        Severity.parse("severe")


def test_error_names_its_place() -> None:
    err = ConfigParseError("unexpected '}'", path="/home/u/.cursor/mcp.json", line=4, column=2)
    assert str(err) == "/home/u/.cursor/mcp.json:4:2: unexpected '}'"
    assert isinstance(err, GarrisonError)
    assert err.exit_code == 2


TOOL = {
    "name": "daily_report_analysis",
    "description": "Analyse the daily report.",
    "inputSchema": {
        "type": "object",
        "properties": {
            "day": {"type": "string", "description": "ISO date", "examples": ["2026-01-01"]},
            "mode": {"type": "string", "enum": ["short", "long"], "default": "short"},
            "opts": {"type": "object", "properties": {"deep": {"type": "string", "title": "Deep title"}}},
        },
    },
}


def test_iter_texts_covers_every_model_visible_string() -> None:
    sites = {s.location: s.text for s in iter_texts(Definition("tool", TOOL))}
    assert sites["name"] == "daily_report_analysis"
    assert sites["description"] == "Analyse the daily report."
    assert sites["inputSchema.properties.day.description"] == "ISO date"
    assert sites["inputSchema.properties.day.examples[0]"] == "2026-01-01"
    assert sites["inputSchema.properties.mode.enum[1]"] == "long"
    assert sites["inputSchema.properties.mode.default"] == "short"
    assert sites["inputSchema.properties.opts.properties.deep.title"] == "Deep title"
    assert sites["inputSchema.properties.day#name"] == "day"


def test_iter_texts_stops_at_depth_limit() -> None:
    schema: dict[str, object] = {"description": "leaf"}
    for _ in range(200):
        schema = {"type": "object", "properties": {"x": schema}}
    tool = {"name": "deep", "inputSchema": schema}
    sites = list(iter_texts(Definition("tool", tool)))
    assert all("leaf" != s.text for s in sites)
    assert len(sites) < 200


def test_prompt_and_resource_texts() -> None:
    prompt = Definition("prompt", {"name": "p", "arguments": [{"name": "a", "description": "arg text"}]})
    assert {s.location for s in iter_texts(prompt)} >= {"arguments[0].name", "arguments[0].description"}
    assert prompt.parameters() == {"a": {"name": "a", "description": "arg text"}}
    res = Definition("resource", {"uri": "file:///x", "name": "x", "description": "d"})
    assert res.key == "file:///x"
    assert res.ref == "resource:file:///x"


def test_snapshot_round_trip_and_bare_tools_list() -> None:
    doc = {
        "servers": {
            "s1": {
                "tools": [TOOL],
                "prompts": [{"name": "p"}],
                "resources": [{"uri": "mem://a", "name": "a"}],
                "resourceTemplates": [{"uriTemplate": "mem://{x}", "name": "t"}],
                "instructions": "Use me.",
                "serverInfo": {"name": "s1", "version": "1.0"},
                "launch": {"command": "npx", "args": ["-y", "pkg"], "env": {"TOKEN": "secret"}},
            }
        }
    }
    (snap,) = snapshots_from_json(doc)
    assert [d.ref for d in snap.definitions] == [
        "tool:daily_report_analysis",
        "prompt:p",
        "resource:mem://a",
        "resource_template:mem://{x}",
    ]
    assert snap.launch is not None
    assert snap.launch.env == {"TOKEN": "secret"}
    out = snapshots_to_json([snap])
    assert out["servers"]["s1"]["launch"]["env"] == {"TOKEN": "****"}
    again = snapshots_from_json(json.loads(json.dumps(snapshots_to_json([snap], mask_secrets=False))))
    assert again[0] == snap
    (bare,) = snapshots_from_json({"tools": [TOOL]})
    assert bare.name == "snapshot"
    assert bare.tools[0].name == "daily_report_analysis"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "must be a JSON object"),
        ({"nothing": 1}, "expected a 'servers' object"),
        ({"servers": {"a": {"tools": {}}}}, "server 'a': 'tools' must be a list"),
        ({"servers": {"a": {"tools": [{"description": "x"}]}}}, "tools\\[0\\] has no string 'name'"),
        ({"servers": {"a": {"instructions": 3}}}, "'instructions' must be a string"),
    ],
)
def test_snapshot_shape_errors_name_the_place(doc: object, message: str) -> None:
    with pytest.raises(SnapshotFormatError, match=message) as info:
        snapshots_from_json(doc, where="snap.json")
    assert str(info.value).startswith("snap.json: ")


def test_launch_identity_never_holds_secret_values() -> None:
    spec = LaunchSpec(name="s", command="x", env={"API_KEY": "sk-live-123"}, headers={"Authorization": "Bearer t"})
    ident = json.dumps(spec.identity())
    assert "sk-live-123" not in ident
    assert "Bearer t" not in ident
    assert spec.identity()["env"] == ["API_KEY"]


def test_check_info_builds_findings_with_stable_fingerprint() -> None:
    info = CheckInfo("G999", "example", "Example", Severity.HIGH, "Fix it.", ("AML.T0051",))
    f1 = info.finding(server="s", target="tool:t", location="description", message="m", evidence=Evidence("x", 0, 1))
    f2 = info.finding(server="s", target="tool:t", location="description", message="other message")
    assert f1.fingerprint == f2.fingerprint
    assert f1.severity is Severity.HIGH
    assert f1.techniques == ("AML.T0051",)
    assert f1.to_json()["evidence"] == {"text": "x", "start": 0, "end": 1}
    assert f1.with_severity(Severity.LOW).severity is Severity.LOW
