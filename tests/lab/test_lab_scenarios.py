"""The attack lab end to end: every attack is caught and every honest twin stays clean."""

from __future__ import annotations

import json

import pytest

from garrison.cli.main import main
from garrison.lab.scenarios import SCENARIOS, run_scenarios


@pytest.mark.integration
@pytest.mark.slow
def test_every_lab_attack_is_caught_and_every_twin_is_clean() -> None:
    results = run_scenarios(timeout=120)
    assert [r.scenario.id for r in results] == [s.id for s in SCENARIOS]
    for r in results:
        assert not r.errors, (r.scenario.id, r.errors)
        assert r.caught_by, f"{r.scenario.id}: attack not caught"
        assert not r.benign_findings, (r.scenario.id, [f.rule for f in r.benign_findings])
    by_id = {r.scenario.id: set(r.caught_by) for r in results}
    assert "G801" in by_id["rug-pull"]
    assert any(rule.startswith("G2") for rule in by_id["hidden-text"])
    assert any(rule.startswith("G4") for rule in by_id["cross-server-shadowing"])
    assert any(rule.startswith("G5") for rule in by_id["name-squatting"])


def test_lab_cli_lists_and_rejects_unknown_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "--list"]) == 0
    assert "rug-pull" in capsys.readouterr().out
    assert main(["lab", "no-such-scenario"]) == 2
    assert "unknown scenario" in capsys.readouterr().err


@pytest.mark.integration
def test_lab_cli_json_for_one_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "tool-poisoning", "--format", "json", "--timeout", "120"]) == 0
    (scenario,) = json.loads(capsys.readouterr().out)["scenarios"]
    assert scenario["passed"] is True
    assert scenario["caught_by"]
