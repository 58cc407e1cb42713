"""Storylines over real telemetry (OTRF, Windows Sysmon + Security): the storyline of each alert on a
labelled positive gathers the other events of the same process that the labels list as related."""

from __future__ import annotations

import json
from pathlib import Path

from garrison.detect import Engine
from garrison.detect.storyline import StorylineBuilder
from garrison.events.reader import read_events
from garrison.events.rulefiles import builtin_rules_dir, load_rule_paths

UNDRAWN = ("image_load",)
"""Module loads are left out of storylines on purpose (every process has dozens)."""


def test_related_events_are_in_the_storyline(corpora: Path) -> None:
    load = load_rule_paths([builtin_rules_dir()])
    engine = Engine(load.rules, correlations=load.correlations)
    totals = {"related": 0, "covered": 0, "extra": 0}
    for labels_path in sorted((corpora / "endpoint" / "otrf").glob("*.labels.json")):
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
        path = labels_path.parent / labels["events_file"]
        events = list(read_events(path).events)
        by_id = {e.id: e for e in events}
        positives = {f"{path}:{n}" for n in labels["positive_line_numbers"]}
        related = {f"{path}:{n}" for n in labels["related_line_numbers"]}
        related = {i for i in related if by_id[i].logsource.category not in UNDRAWN}
        builder = StorylineBuilder(events)
        drawn: set[str] = set()
        for alert in engine.run(events):
            if any(e.id in positives for e in alert.events):
                drawn |= {i for node in builder.build(alert).nodes for i in node.events}
        assert related <= drawn, (labels["dataset"], sorted(related - drawn)[:5])
        totals["related"] += len(related)
        totals["covered"] += len(related & drawn)
        totals["extra"] += len(drawn - positives - related)
    assert totals["related"] > 50
    assert totals["extra"] <= totals["related"] * 0.1, totals
