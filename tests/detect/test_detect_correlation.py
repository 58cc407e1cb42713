"""Correlation rules: event_count, value_count, temporal, temporal_ordered; parsing errors; silencing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from garrison.detect import Engine, parse_correlation
from garrison.errors import RuleError
from garrison.events.rulefiles import load_rule_paths
from garrison.model import Event, LogSource

BASE = """\
title: Failed login
id: 00000000-0000-0000-0000-00000000000a
name: failed_login
logsource: {product: test}
detection:
    sel: {Outcome: failure}
    condition: sel
---
title: Shell spawned
id: 00000000-0000-0000-0000-00000000000b
name: shell
logsource: {product: test}
detection:
    sel: {Image|endswith: /sh}
    condition: sel
---
title: Curl
id: 00000000-0000-0000-0000-00000000000c
name: curl
level: low
logsource: {product: test}
detection:
    sel: {Image|endswith: /curl}
    condition: sel
"""

LS = LogSource(product="test")


def engine(tmp_path: Path, correlation: str) -> Engine:
    (tmp_path / "rules.yml").write_text(BASE + "---\n" + correlation, encoding="utf-8")
    load = load_rule_paths([tmp_path])
    assert not load.failures, load.failures
    return Engine(load.rules, correlations=load.correlations)


def ev(t: float, **fields: Any) -> Event:
    return Event(t, LS, fields)


def titles(eng: Engine, events: list[Event]) -> list[str]:
    return [a.title for a in eng.run(events)]


def test_event_count_per_group_within_timespan(tmp_path: Path) -> None:
    eng = engine(tmp_path, """\
title: Brute force
id: 00000000-0000-0000-0000-0000000000c1
level: high
tags: [attack.t1110]
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [User]
    timespan: 1m
    condition: {gte: 3}
""")
    events = [ev(0, Outcome="failure", User="a"), ev(10, Outcome="failure", User="b"),
              ev(20, Outcome="failure", User="a"), ev(100, Outcome="failure", User="a"),
              ev(110, Outcome="failure", User="a"), ev(115, Outcome="failure", User="a")]
    alerts = list(eng.run(events))
    assert [a.title for a in alerts] == ["Brute force"]
    assert [e.time for e in alerts[0].events] == [100, 110, 115]
    assert alerts[0].techniques == ("T1110",)
    assert alerts[0].tactics == ("credential-access",)


def test_value_count_and_generate(tmp_path: Path) -> None:
    eng = engine(tmp_path, """\
title: Password spray
id: 00000000-0000-0000-0000-0000000000c2
generate: true
correlation:
    type: value_count
    rules: [00000000-0000-0000-0000-00000000000a]
    group-by: [Source]
    timespan: 5m
    condition: {field: User, gt: 2}
""")
    events = [ev(i, Outcome="failure", Source="10.0.0.1", User=u) for i, u in enumerate("aabc")]
    assert titles(eng, events) == ["Failed login"] * 4 + ["Password spray"]


def test_temporal_and_ordered(tmp_path: Path) -> None:
    temporal = engine(tmp_path, """\
title: Shell then curl
id: 00000000-0000-0000-0000-0000000000c3
correlation:
    type: temporal
    rules: [shell, curl]
    group-by: [Host]
    timespan: 30s
""")
    assert titles(temporal, [ev(0, Image="/usr/bin/curl", Host="h"), ev(5, Image="/bin/sh", Host="h")]) == [
        "Shell then curl"]
    assert titles(temporal, [ev(0, Image="/usr/bin/curl", Host="h"), ev(50, Image="/bin/sh", Host="h")]) == []
    assert titles(temporal, [ev(0, Image="/usr/bin/curl", Host="h"), ev(5, Image="/bin/sh", Host="x")]) == []
    ordered = engine(tmp_path, """\
title: Shell then curl, in order
id: 00000000-0000-0000-0000-0000000000c4
correlation:
    type: temporal_ordered
    rules: [shell, curl]
    timespan: 30s
""")
    assert titles(ordered, [ev(0, Image="/usr/bin/curl"), ev(5, Image="/bin/sh")]) == []
    assert titles(ordered, [ev(0, Image="/bin/sh"), ev(5, Image="/usr/bin/curl")]) == ["Shell then curl, in order"]


@pytest.mark.parametrize(("body", "message"), [
    ({"type": "event_count", "rules": ["x"], "timespan": "1m", "condition": {"lt": 3}}, "'lt'/'lte'"),
    ({"type": "event_count", "rules": ["x"], "timespan": "soon", "condition": {"gte": 3}}, "timespan"),
    ({"type": "value_count", "rules": ["x"], "timespan": "1m", "condition": {"gte": 3}}, "condition.field"),
    ({"type": "sometimes", "rules": ["x"], "timespan": "1m"}, "correlation type"),
    ({"type": "temporal", "rules": [], "timespan": "1m"}, "at least one rule"),
    ({"type": "temporal", "rules": ["x"], "timespan": "1m", "aliases": {}}, "aliases"),
])
def test_bad_correlations(body: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleError, match=re.escape(message)):
        parse_correlation({"title": "t", "id": "i", "correlation": body}, where="c.yml")


def test_unknown_reference_is_a_load_failure(tmp_path: Path) -> None:
    (tmp_path / "c.yml").write_text(
        "title: c\nid: c\ncorrelation: {type: temporal, rules: [ghost], timespan: 1m}\n", encoding="utf-8")
    load = load_rule_paths([tmp_path])
    assert [f.reason for f in load.failures] == ["correlation refers to unknown rule 'ghost'"]
