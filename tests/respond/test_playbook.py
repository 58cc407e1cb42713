"""Playbook files: strict parsing with file:line errors, and matching alerts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from garrison.errors import GarrisonError, PolicyError
from garrison.respond.playbook import load_playbooks, parse_playbooks
from garrison.respond.run import assess, matches

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "detect"))
from test_storyline_fixtures import chain, key_alert

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "playbooks"

GOOD = """\
version: 1
playbooks:
  - name: contain
    when:
      technique: [T1552]
      min_priority: high
      server: notes
    actions:
      - kill_process_tree
      - block_tool: {reason: stolen key}
      - notify: {url: "http://127.0.0.1:9/hook"}
  - name: page
    when: {tag: attack.credential-access}
    actions: [notify: {url: "https://hooks.example/x", timeout: 2}]
"""


def test_parse_good_file():
    books = parse_playbooks(GOOD, path="p.yaml")
    assert [b.name for b in books] == ["contain", "page"]
    contain = books[0]
    assert contain.when.techniques == ("T1552",)
    assert contain.when.min_priority == 60
    assert [a.name for a in contain.actions] == ["kill_process_tree", "block_tool", "notify"]
    assert contain.actions[1].options == {"reason": "stolen key"}
    assert contain.actions[2].options["timeout"] == 5.0
    assert contain.actions[0].where == "p.yaml:9"


@pytest.mark.parametrize(("text", "where", "message"), [
    (GOOD.replace("technique:", "techniqe:"), "p.yaml:5", "unknown key 'techniqe'"),
    (GOOD.replace("- kill_process_tree", "- kill_everything"), "p.yaml:9", "unknown action 'kill_everything'"),
    (GOOD.replace("min_priority: high", "min_priority: urgent"), "p.yaml:6", "'min_priority' must be"),
    (GOOD.replace("name: page", "name: contain"), "p.yaml:12", "defined twice"),
    (GOOD.replace('{url: "http://127.0.0.1:9/hook"}', "{timeout: 3}"), "p.yaml:11", "needs a 'url'"),
    (GOOD.replace('"http://127.0.0.1:9/hook"', '"file:///x"'), "p.yaml:11", "http:// or https://"),
    (GOOD.replace("- kill_process_tree", "- kill_process_tree: {scope: world}"), "p.yaml:9", "scope"),
    (GOOD.replace("{reason: stolen key}", "{reason: 5}"), "p.yaml:10", "wrong type"),
    ("version: 1\nplaybooks: []\n", "p.yaml:2", "non-empty list"),
    ("version: 1\nplaybooks:\n  - name: x\n    when: {}\n", "p.yaml:3", "needs 'actions'"),
])
def test_errors_name_file_and_line(text, where, message):
    with pytest.raises(GarrisonError) as caught:
        parse_playbooks(text, path="p.yaml")
    assert caught.value.where == where
    assert message in caught.value.message


def test_missing_file(tmp_path):
    with pytest.raises(PolicyError):
        load_playbooks(tmp_path / "none.yaml")


def test_conditions_match_the_assessed_alert():
    events = chain()
    assessed = assess(key_alert(events), events)
    books = {b.name: b for b in parse_playbooks(GOOD, path="p.yaml")}
    assert matches(books["contain"].when, assessed)
    assert matches(books["page"].when, assessed)
    for change in ("technique: [T1053]", "min_priority: 97", "server: other"):
        text = GOOD.replace("technique: [T1552]", change) if "technique" in change else GOOD.replace(
            "min_priority: high" if "priority" in change else "server: notes", change)
        assert not matches(parse_playbooks(text, path="p.yaml")[0].when, assessed), change


def test_shipped_examples_load():
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert files
    for path in files:
        assert load_playbooks(path)
