"""SigmaHQ corpus: rules load, and the regression events fire their own rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from garrison.detect import Engine
from garrison.events.reader import read_events
from garrison.events.rulefiles import load_rule_paths


@pytest.fixture(scope="module")
def sigma_engine(corpora: Path) -> tuple[Engine, int, list[str]]:
    load = load_rule_paths([corpora / "sigma" / "rules"])
    return Engine(load.rules), len(load.rules), [f"{f.path}: {f.reason}" for f in load.failures]


def test_at_least_99_percent_of_rules_load(sigma_engine: tuple[Engine, int, list[str]]) -> None:
    _, loaded, failures = sigma_engine
    assert loaded + len(failures) > 1400
    assert loaded / (loaded + len(failures)) >= 0.99, "\n".join(failures)


def test_regression_cases_match_their_rule(corpora: Path, sigma_engine: tuple[Engine, int, list[str]]) -> None:
    engine, _, _ = sigma_engine
    root = corpora / "sigma"
    cases = 0
    misses = []
    for info_path in sorted((root / "regression_data").rglob("info.yml")):
        info = yaml.safe_load(info_path.read_text(encoding="utf-8"))
        rule_id = info["rule_metadata"][0]["id"]
        for test in info["regression_tests_info"]:
            cases += 1
            events_path = info_path.parent / Path(test["path"]).with_suffix(".json").name
            read = read_events(events_path)
            hits = sum(1 for e in read.events for c in engine.match(e) if c.rule.id == rule_id)
            want = test.get("match_count")
            ok = (hits == want) if want is not None else hits >= 1
            if not ok or read.problems:
                misses.append(f"{info_path.parent.name}: {hits} matches, want {want or '>= 1'}; "
                              f"problems {list(read.problems)}")
    assert cases >= 130
    assert (cases - len(misses)) / cases >= 0.98, "\n".join(misses)
