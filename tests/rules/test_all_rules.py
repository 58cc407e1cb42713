"""Every built-in rule: loads, is well-formed, and fires on its positive samples and only on them.

One test over the whole pack that lists every failure at once.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import yaml

from garrison.detect import Engine, load_attack
from garrison.events.rulefiles import builtin_rules_dir, load_rule_paths
from garrison.model import Event

REQUIRED = ("title", "id", "status", "description", "author", "date", "tags", "logsource", "detection",
            "falsepositives", "level", "x-garrison-samples")


def test_all_builtin_rules() -> None:
    root = builtin_rules_dir()
    files = sorted(root.rglob("*.yml"))
    load = load_rule_paths([root])
    problems = [f"{f.path}: does not load: {f.reason}" for f in load.failures]
    attack = load_attack()
    engine = Engine(load.rules)
    titles: dict[str, str] = {}
    for compiled in load.rules:
        rule = compiled.rule
        where = rule.where
        doc = yaml.safe_load(Path(where).read_text(encoding="utf-8"))
        problems += [f"{where}: missing {key!r}" for key in REQUIRED if key not in doc]
        try:
            uuid.UUID(rule.id)
        except ValueError:
            problems.append(f"{where}: id {rule.id!r} is not a UUID")
        if rule.title in titles:
            problems.append(f"{where}: title also used by {titles[rule.title]}")
        titles[rule.title] = where
        if not re.fullmatch(r"[a-z0-9_]+\.yml", Path(where).name):
            problems.append(f"{where}: file name must be lower_snake_case.yml")
        if rule.logsource.product != "mcp" and not rule.techniques:
            problems.append(f"{where}: no ATT&CK technique tag")
        problems += [f"{where}: unknown ATT&CK technique {t}" for t in rule.techniques
                     if attack.technique_name(t) is None]
        problems += [f"{where}: unknown ATT&CK tactic {t}" for t in rule.tactics if attack.tactic_shortname(t) is None]
        samples = rule.samples or {}
        for kind in ("positive", "negative"):
            events = samples.get(kind) or []
            if not events:
                problems.append(f"{where}: no {kind} samples")
            for index, fields in enumerate(events):
                hit = any(c.rule.id == rule.id for c in engine.match(Event(0.0, rule.logsource, fields)))
                if hit != (kind == "positive"):
                    verdict = "did not fire" if kind == "positive" else "fired"
                    problems.append(f"{where}: {kind} sample {index} {verdict}")
    assert len(files) == len(load.rules) + len(load.failures)
    assert len(load.rules) >= 25
    assert not problems, "\n".join(problems)
