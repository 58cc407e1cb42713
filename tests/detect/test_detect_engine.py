"""Engine routing, alerts, ATT&CK enrichment and tuning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from garrison.detect import Engine, compile_rule, load_attack, parse_rule
from garrison.detect.attack_build import build_table
from garrison.detect.rule import split_tags
from garrison.events.reader import read_events
from garrison.events.rulefiles import load_rule_paths
from garrison.model import Event, LogSource, Severity


def rule(logsource: dict[str, str], detection: dict[str, Any], rule_id: str = "r1", **extra: Any) -> Any:
    doc = {"title": f"title {rule_id}", "id": rule_id, "logsource": logsource,
           "detection": {"sel": detection, "condition": "sel"}, **extra}
    return compile_rule(parse_rule(doc, where=f"{rule_id}.yml"))


def test_logsource_routing() -> None:
    engine = Engine([
        rule({"product": "windows", "category": "process_creation"}, {"Image|endswith": "\\a.exe"}, "win"),
        rule({"category": "process_creation"}, {"Image|endswith": "a.exe"}, "any"),
        rule({"product": "windows", "category": "registry_event"}, {"TargetObject|contains": "\\run"}, "reg"),
        rule({"product": "windows", "service": "security"}, {"EventID": 4688}, "sec"),
    ])
    fields = {"Image": "C:\\a.exe", "TargetObject": "HKCU\\Run", "EventID": 4688}
    ids = {c.rule.id for c in engine.match(Event(0, LogSource("windows", "process_creation", "sysmon"), fields))}
    assert ids == {"win", "any"}
    ids = {c.rule.id for c in engine.match(Event(0, LogSource("linux", "process_creation"), fields))}
    assert ids == {"any"}
    ids = {c.rule.id for c in engine.match(Event(0, LogSource("windows", "registry_set", "sysmon"), fields))}
    assert ids == {"reg"}
    ids = {c.rule.id for c in engine.match(Event(0, LogSource("windows", "process_creation", "security"), fields))}
    assert ids == {"win", "any", "sec"}


def test_alert_json_shape_and_attack() -> None:
    compiled = rule({"product": "windows", "category": "process_creation"}, {"CommandLine|contains": "comsvcs"},
                    level="critical", tags=["attack.credential-access", "attack.t1003.001", "attack.s0002"])
    event = Event(1.5, LogSource("windows", "process_creation"), {"CommandLine": "rundll32 comsvcs.dll"},
                  id="f:3")
    alerts = list(Engine([compiled]).run([event, Event(2.0, event.logsource, {"CommandLine": "x"})]))
    assert len(alerts) == 1
    out = alerts[0].to_json()
    assert out == {
        "rule": "r1", "title": "title r1", "severity": "critical", "attack": ["T1003.001"],
        "tactics": ["credential-access"],
        "events": [{"time": 1.5, "logsource": {"product": "windows", "category": "process_creation"},
                    "fields": {"CommandLine": "rundll32 comsvcs.dll"}, "source": "garrison", "id": "f:3",
                    "links": {}}],
        "storyline": None,
    }
    assert alerts[0].severity is Severity.CRITICAL
    json.dumps(out)


def test_tags_and_attack_table() -> None:
    assert split_tags(("attack.t1003.002", "attack.credential_access", "attack.TA0005", "attack.g0001",
                       "cve.2021-1")) == (("T1003.002",), ("credential-access", "TA0005"))
    attack = load_attack()
    assert attack.technique_name("T1003.002") == "Security Account Manager"
    assert attack.tactics_for(["T1490"]) == ("impact",)
    assert attack.tactics_for(["T1003.999"]) == ("credential-access",)
    assert attack.tactics_for([], ["TA0005"]) == ("defense-evasion",)
    assert len(attack.techniques) > 600


def test_attack_table_builder_drops_revoked() -> None:
    table = build_table(
        [{"external_id": "T1", "name": "One", "tactics": ["impact"]},
         {"external_id": "T2", "name": "Two", "tactics": [], "revoked": True}],
        [{"shortname": "impact", "external_id": "TA0040", "name": "Impact"}], "1.0")
    assert table["techniques"] == {"T1": ["One", ["impact"]]}
    assert table["tactics"] == {"impact": ["TA0040", "Impact"]}


def test_tuning_never_changes_results(corpora: Path) -> None:
    load = load_rule_paths([corpora / "sigma" / "rules" / "windows" / "process_creation"])
    events = []
    for path in sorted((corpora / "sigma" / "regression_data").rglob("*.json"))[:60]:
        events.extend(read_events(path).events)
    engine = Engine(load.rules)
    before = [[c.rule.id for c in engine.match(e)] for e in events]
    assert engine.tune(events[::2]) == len(events[::2])
    after = [[c.rule.id for c in engine.match(e)] for e in events]
    assert before == after
    assert sum(map(len, before)) >= 60


def test_prefilter_never_hides_a_match(corpora: Path) -> None:
    """Every rule evaluated on every event (no prefilter) gives the same matches as the engine."""
    load = load_rule_paths([corpora / "sigma" / "rules" / "windows" / "process_creation"])
    engine = Engine(load.rules)
    events = []
    for path in sorted((corpora / "sigma" / "regression_data").rglob("*.json")):
        events.extend(read_events(path).events)
    for event in events:
        low = {k: str(v).lower() for k, v in event.fields.items() if v is not None}
        brute = [c.rule.id for c in load.rules if c.matches(low, event.fields)]
        assert [c.rule.id for c in engine.match(event)] == brute
