"""Storylines: ancestry by GUID and by pid + time, the call in flight, the graph's JSON and the tree."""

from __future__ import annotations

import json

from test_storyline_fixtures import T0, call, chain, file_event, key_alert, proc

from garrison.detect import Alert
from garrison.detect.storyline import MAX_NODES, alert_id, build_storyline, render_tree
from garrison.model import Event, LogSource, Severity


def _labels(story, kind):
    return sorted(n.label for n in story.of_kind(kind))


def test_chain_links_client_server_call_and_process_tree():
    events = chain()
    story = build_storyline(key_alert(events), events)
    assert _labels(story, "client") == ["cursor"]
    assert _labels(story, "server") == ["notes"]
    assert _labels(story, "tool_call") == ["export_notes()"]
    assert story.call == "call:notes:2"
    assert _labels(story, "process") == ["cat (201)", "crontab (202)", "curl (203)", "python3 (100)", "sh (200)"]
    assert _labels(story, "file") == ["/home/dev/.ssh/id_rsa"]
    assert _labels(story, "connection") == ["93.184.216.34:443"]
    edges = {(e.source, e.kind, e.target) for e in story.edges}
    assert ("client:cursor", "called", "server:notes") in edges
    assert ("server:notes", "ran", "call:notes:2") in edges
    assert ("call:notes:2", "spawned", "proc:{sh}") in edges
    assert ("proc:{sh}", "spawned", "proc:{cat}") in edges
    assert ("proc:{cat}", "opened", "file:/home/dev/.ssh/id_rsa") in edges
    assert ("server:notes", "launched", "proc:{srv}") in edges
    assert story.root == "client:cursor"


def test_work_of_other_calls_is_left_out():
    events = chain()
    story = build_storyline(key_alert(events), events)
    assert "proc:{other}" not in {n.id for n in story.nodes}
    assert "call:notes:1" not in {n.id for n in story.nodes}


def test_alerted_nodes_are_marked():
    events = chain()
    story = build_storyline(key_alert(events), events)
    assert {n.id for n in story.nodes if n.alerted} == {"proc:{cat}", "file:/home/dev/.ssh/id_rsa"}


def test_process_started_outside_every_call_window_has_no_call():
    events = [e for e in chain() if e.logsource.category != "tool_call"]
    events.append(call(T0 + 3, "9", "list_notes", 100.0))
    story = build_storyline(key_alert(events), events)
    assert story.call is None
    assert ("proc:{srv}", "spawned", "proc:{sh}") in {(e.source, e.kind, e.target) for e in story.edges}


def test_call_without_end_is_in_flight_until_next_call():
    events = [e for e in chain() if e.logsource.category != "tool_call"]
    events.append(call(T0 + 10, "7", "export_notes", None))
    story = build_storyline(key_alert(events), events)
    assert story.call == "call:notes:7"


def _pid_only(time, pid, ppid, image, cmd, event_id):
    return Event(time, LogSource("linux", "process_creation"),
                 {"ProcessId": pid, "ParentProcessId": ppid, "Image": image, "CommandLine": cmd},
                 source="auditd", id=event_id)


def test_pid_ancestry_respects_reuse_and_termination():
    events = [
        _pid_only(T0, 10, 1, "/usr/bin/node", "node server.js", "srv"),
        _pid_only(T0 + 1, 20, 10, "/bin/bash", "bash -c evil", "first-bash"),
        Event(T0 + 2, LogSource("linux", "process_termination"), {"ProcessId": 20}, id="end-first"),
        # pid 20 reused by an unrelated process, then it starts a child
        _pid_only(T0 + 3, 20, 1, "/usr/sbin/cron", "cron", "cron"),
        _pid_only(T0 + 4, 30, 20, "/usr/bin/cat", "cat /root/.ssh/id_rsa", "cat"),
        _pid_only(T0 + 1.5, 31, 20, "/usr/bin/cat", "cat /etc/hostname", "early-cat"),
    ]
    late = Alert("r", "t", Severity.HIGH, (), (), (events[4],))
    story = build_storyline(late, events)
    assert _labels(story, "process") == ["cat (30)", "cron (20)"]
    early = Alert("r", "t", Severity.HIGH, (), (), (events[5],))
    story = build_storyline(early, events)
    assert _labels(story, "process") == ["bash (20)", "cat (31)", "node (10)"]


def test_tool_call_alert_pulls_in_processes_spawned_during_the_call():
    events = chain()
    export = next(e for e in events if e.id == "c-2")
    alert = Alert("mcp-rule", "Tool called", Severity.LOW, (), (), (export,))
    story = build_storyline(alert, events)
    assert story.call == "call:notes:2"
    assert story.node("call:notes:2").alerted
    assert "proc:{cat}" in {n.id for n in story.nodes}


def test_unattributed_alert_event_is_a_loose_leaf():
    event = Event(T0, LogSource("aws", None, "cloudtrail"), {"eventName": "GetSecretValue"}, id="ct-1")
    story = build_storyline(Alert("r", "t", Severity.MEDIUM, (), (), (event,)), [])
    assert [(n.kind, n.label, n.alerted) for n in story.nodes] == [("activity", "aws GetSecretValue", True)]


def test_node_limit_counts_what_is_not_drawn():
    events = chain()
    events += [file_event(T0 + 12 + i / 1000, "{cat}", f"/tmp/f{i}", event_id=f"x{i}") for i in range(MAX_NODES)]
    story = build_storyline(key_alert(events), events)
    assert len(story.nodes) == MAX_NODES
    assert story.truncated > 0
    assert "more node(s) not shown" in render_tree(story)


def test_to_json_is_serialisable_and_complete():
    events = chain()
    story = build_storyline(key_alert(events), events)
    data = json.loads(json.dumps(story.to_json()))
    assert data["alert"] == alert_id(key_alert(events))
    assert data["start"] == T0
    assert data["end"] == T0 + 11.2
    assert {e["source"] for e in data["edges"]} <= {n["id"] for n in data["nodes"]}


def test_render_tree_draws_the_chain_under_the_call():
    events = chain()
    text = render_tree(build_storyline(key_alert(events), events))
    lines = text.splitlines()
    assert lines[0] == "client cursor"
    call_line = next(i for i, line in enumerate(lines) if "export_notes()" in line)
    key_line = next(i for i, line in enumerate(lines) if "opened file /home/dev/.ssh/id_rsa" in line)
    assert call_line < key_line
    assert lines[key_line].lstrip(" │├└─").startswith("! ")


def test_alert_id_is_stable_and_distinguishes_events():
    events = chain()
    assert alert_id(key_alert(events)) == alert_id(key_alert(chain()))
    other = Alert("c29ede9b-dc86-4f01-b3dd-b20faafaf4ce", "x", Severity.HIGH, (), (), (events[0],))
    assert alert_id(other) != alert_id(key_alert(events))


def test_ancestry_cycle_terminates():
    events = [proc(T0, "{a}", "{b}", 1, 2, "/bin/a", "a"), proc(T0 + 1, "{b}", "{a}", 2, 1, "/bin/b", "b")]
    story = build_storyline(Alert("r", "t", Severity.LOW, (), (), (events[1],)), events)
    assert {n.id for n in story.of_kind("process")} == {"proc:{a}", "proc:{b}"}
