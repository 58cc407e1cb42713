"""Priority: deterministic, explained, and driven by level, tactic, reach, origin and chain length."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_storyline_fixtures import T0, chain, key_alert, proc

from garrison.detect import Alert
from garrison.detect.priority import band, prioritize, sensitive_kind
from garrison.detect.storyline import build_storyline
from garrison.model import Event, LogSource, Severity
from garrison.sensors.paths import load_sensitive_paths


def _why(priority):
    return [r.why for r in priority.reasons]


def test_alert_alone_scores_level_and_tactic():
    alert = key_alert(chain())
    priority = prioritize(alert)
    assert _why(priority) == ["rule level high", "tactic Credential Access"]
    assert priority.score == 60
    assert priority.level == "high"


def test_storyline_adds_reach_origin_and_steps():
    events = chain()
    alert = key_alert(events)
    priority = prioritize(alert, build_storyline(alert, events))
    assert _why(priority) == [
        "rule level high",
        "tactic Credential Access",
        "touched secret /home/dev/.ssh/id_rsa",
        "connected out to 93.184.216.34:443",
        "started from MCP tool call export_notes() on notes",
        "5 processes in the chain",
    ]
    assert priority.score == min(100, sum(r.points for r in priority.reasons)) == 96
    assert priority.level == "critical"


def test_root_user_weighs_more():
    events = chain()
    events[0] = proc(T0, "{srv}", None, 100, 1, "/usr/bin/python3", "python3 -m notes_server", user="root")
    alert = key_alert(events)
    assert "ran as root" in _why(prioritize(alert, build_storyline(alert, events)))


def test_discovery_weighs_less_than_exfiltration():
    base = Alert("r", "t", Severity.MEDIUM, (), ("discovery",), ())
    assert prioritize(base).score < prioritize(replace(base, tactics=("exfiltration",))).score
    both = prioritize(replace(base, tactics=("discovery", "exfiltration")))
    assert [r.points for r in both.reasons] == [30, 15, 3]


def test_private_network_is_not_egress():
    event = Event(T0, LogSource("linux", "network_connection"),
                  {"DestinationIp": "10.0.0.5", "DestinationPort": 22, "ProcessGuid": "{x}"},
                  links={"process_guid": "{x}"})
    events = [proc(T0 - 1, "{x}", None, 5, 1, "/bin/nc", "nc 10.0.0.5 22"), event]
    alert = Alert("r", "t", Severity.LOW, (), (), (event,))
    assert not any("connected out" in w for w in _why(prioritize(alert, build_storyline(alert, events))))


def test_same_input_same_priority():
    events = chain()
    alert = key_alert(events)
    assert prioritize(alert, build_storyline(alert, events)) == prioritize(alert, build_storyline(alert, chain()))


@pytest.mark.parametrize(("score", "level"), [(0, "low"), (34, "low"), (35, "medium"), (60, "high"),
                                              (80, "critical"), (100, "critical")])
def test_bands(score, level):
    assert band(score) == level


@pytest.mark.parametrize(("path", "kind"), [
    ("/home/a/.ssh/id_ed25519", "secret"),
    ("/root/.aws/credentials", "secret"),
    ("/etc/cron.d/job", "persistence"),
    ("/home/a/.bashrc", "persistence"),
    ("/home/a/.cursor/mcp.json", "client_config"),
    ("/home/a/notes.txt", None),
    ("/home/a/.sshx/id", None),
])
def test_sensitive_kind(path, kind):
    entry = sensitive_kind(path, load_sensitive_paths())
    assert (entry.kind if entry else None) == kind
