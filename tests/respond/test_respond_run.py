"""Running playbooks: targets come from the storyline, destructive actions are planned unless executed,
and the same target is acted on once per run."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from garrison.detect import Alert
from garrison.model import Severity
from garrison.respond.blocklist import load_blocklist
from garrison.respond.playbook import parse_playbooks
from garrison.respond.results import ActionResult, result_event
from garrison.respond.run import Responder, assess, kill_target, respond

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "detect"))
from test_storyline_fixtures import T0, chain, key_alert

BOOK = """\
version: 1
playbooks:
  - name: contain
    when: {tactic: credential-access}
    actions:
      - kill_process_tree
      - block_tool
      - quarantine_server
      - revoke_pin
      - notify: {url: "http://127.0.0.1:9/hook"}
"""


def _responder(tmp_path, *, execute):
    kills, posts = [], []

    def kill(pid, *, seen_at, execute):
        kills.append((pid, seen_at, execute))
        return ActionResult("kill_process_tree", f"pid {pid}", executed=execute, ok=True, detail="ok", time=1.0)

    def post(url, payload, *, timeout, clock):
        posts.append((url, payload))
        return ActionResult("notify", url, executed=True, ok=True, detail="HTTP 204", time=1.0)

    responder = Responder(execute=execute, blocklist_path=str(tmp_path / "garrison.blocklist.yaml"),
                          lockfile_path=str(tmp_path / "garrison.lock"), clock=lambda: T0, kill=kill, post=post)
    return responder, kills, posts


def test_kill_target_is_the_process_the_call_spawned():
    events = chain()
    story = assess(key_alert(events), events).storyline
    assert kill_target(story).attrs["ProcessId"] == 200
    assert kill_target(story, "server").attrs["ProcessId"] == 100


def test_dry_run_plans_and_changes_nothing(tmp_path):
    events = chain()
    responder, kills, posts = _responder(tmp_path, execute=False)
    results = respond([assess(key_alert(events), events)], parse_playbooks(BOOK, path="p.yaml"), responder)
    assert [r.action for r in results] == ["kill_process_tree", "block_tool", "quarantine_server", "revoke_pin",
                                           "notify"]
    assert kills == [(200, T0 + 10.5, False)]
    assert not (tmp_path / "garrison.blocklist.yaml").exists()
    assert results[1].detail.startswith("would add")
    assert not results[3].ok  # no lockfile to revoke from
    assert posts[0][1]["alert"]["summary"].startswith("SSH Private Key Opened")
    assert {r.playbook for r in results} == {"contain"}
    assert {r.alert for r in results} == {assess(key_alert(events), events).id}


def test_execute_writes_the_block_list_once_per_target(tmp_path):
    events = chain()
    responder, kills, _ = _responder(tmp_path, execute=True)
    first = assess(key_alert(events), events)
    twin = assess(Alert("other-rule", "Key read again", Severity.HIGH, (), ("credential-access",),
                        key_alert(events).events), events)
    results = respond([first, twin], parse_playbooks(BOOK, path="p.yaml"), responder)
    assert len(kills) == 1
    blocklist = load_blocklist(tmp_path / "garrison.blocklist.yaml")
    assert blocklist.blocked_tools("notes") == {"export_notes": f"{first.alert.title} (alert {first.id})"}
    assert blocklist.quarantined("notes") is not None
    assert [r.action for r in results].count("notify") == 2


def test_alert_without_a_tool_call_skips_tool_actions(tmp_path):
    events = [e for e in chain() if e.logsource.category != "tool_call"]
    responder, _, _ = _responder(tmp_path, execute=True)
    results = respond([assess(key_alert(events), events)], parse_playbooks(BOOK, path="p.yaml"), responder)
    skipped = {r.action: r.detail for r in results if not r.ok}
    assert skipped["block_tool"] == "nothing to act on: the alert did not come from a tool call"


def test_result_event_is_queryable():
    event = result_event(ActionResult("block_tool", "notes/x", executed=True, ok=True, detail="added", time=5.0,
                                      alert="abc", playbook="contain"))
    assert event.logsource.service == "response"
    assert event.fields["Action"] == "block_tool"
    assert event.links == {"alert": "abc"}


def test_processes_from_imported_logs_are_never_killed(tmp_path):
    events = [replace(e, source="sysmon") if e.logsource.category == "process_creation" else e for e in chain()]
    responder, kills, _ = _responder(tmp_path, execute=True)
    results = respond([assess(key_alert(events), events)], parse_playbooks(BOOK, path="p.yaml"), responder)
    assert kills == []
    refused = next(r for r in results if r.action == "kill_process_tree")
    assert not refused.ok
    assert "not by this machine's sensors" in refused.detail
