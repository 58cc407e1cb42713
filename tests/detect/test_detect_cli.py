"""``garrison detect`` and ``garrison rules`` through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from garrison.cli.main import main

RULE = """\
title: Test Rule
id: 11111111-2222-3333-4444-555555555555
level: high
tags: [attack.t1003.001]
logsource: {category: process_creation}
detection:
    sel:
        CommandLine|contains: comsvcs
    condition: sel
"""


def _events(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _pc(command: str) -> str:
    return json.dumps({"time": 1, "logsource": {"product": "linux", "category": "process_creation"},
                       "fields": {"Image": "/usr/bin/cat", "CommandLine": command}})


def test_detect_alerts_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _events(tmp_path, _pc("cat /etc/shadow"), _pc("ls"))
    assert main(["detect", "--events", str(path)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [a["title"] for a in out["alerts"]] == ["Password Hash File Read"]
    alert = out["alerts"][0]
    assert alert["attack"] == ["T1003.008"]
    assert alert["tactics"] == ["credential-access"]
    assert [n["label"] for n in alert["storyline"]["nodes"]] == ["cat"]
    assert alert["events"][0]["id"] == f"{path}:1"


def test_detect_clean_exit_0_and_unreadable_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", "--events", str(_events(tmp_path, _pc("ls")))]) == 0
    assert json.loads(capsys.readouterr().out)["alerts"] == []
    assert main(["detect", "--events", str(_events(tmp_path, _pc("ls"), "{oops"))]) == 3
    captured = capsys.readouterr()
    assert f"{tmp_path / 'events.jsonl'}:2" in captured.err


def test_detect_bad_input_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", "--events", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such event file" in capsys.readouterr().err
    bad = tmp_path / "bad_rules"
    bad.mkdir()
    (bad / "r.yml").write_text("title: x\nid: y\nlogsource: {product: p}\ndetection: {condition: nope}\n",
                               encoding="utf-8")
    events = _events(tmp_path, _pc("ls"))
    assert main(["detect", "--events", str(events), "--rules", str(bad)]) == 2
    assert "unknown search identifier 'nope'" in capsys.readouterr().err
    assert main(["detect", "--events", str(events), "--rules", str(bad), "--unsafe-skip-bad-rules"]) == 0


def test_detect_extra_rules_env_and_text(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.yml").write_text(RULE, encoding="utf-8")
    events = _events(tmp_path, _pc("rundll32 comsvcs.dll MiniDump 1 x full"))
    monkeypatch.setenv("GARRISON_RULES", str(rules))
    assert main(["detect", "--events", str(events), "--no-builtin", "--format", "text"]) == 1
    out = capsys.readouterr().out
    assert "Test Rule" in out
    assert "T1003.001" in out


def test_rules_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.yml").write_text(RULE, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "bad.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    (tmp_path / "sub" / "corr.yml").write_text("title: c\nid: c\ncorrelation: {type: event_count}\n",
                                               encoding="utf-8")
    (tmp_path / "sub" / "agg.yml").write_text(
        "title: a\nid: a\nlogsource: {product: p}\ndetection: {s: {A: 1}, condition: s | count() > 5}\n",
        encoding="utf-8")
    assert main(["rules", "check", str(tmp_path), "--format", "json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["loaded"] == 1
    reasons = {Path(f["path"].split(":")[0]).name: f["reason"] for f in out["failed"]}
    assert "YAML does not parse" in reasons["bad.yaml"]
    assert "at least one rule" in reasons["corr.yml"]
    assert "aggregation conditions" in reasons["agg.yml"]
    assert main(["rules", "check", str(tmp_path / "good.yml"), "--format", "json"]) == 0


def test_rules_list_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) >= 25
    assert any(r["logsource"].get("product") == "mcp" for r in rows)
