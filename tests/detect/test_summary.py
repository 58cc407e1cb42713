"""Summaries: one paragraph from the storyline, naming origin, chain, techniques and what to do."""

from __future__ import annotations

from test_storyline_fixtures import chain, key_alert

from garrison.detect import Alert
from garrison.detect.priority import prioritize
from garrison.detect.storyline import build_storyline
from garrison.detect.summary import summarize
from garrison.model import Severity


def test_summary_of_a_tool_call_chain():
    events = chain()
    alert = key_alert(events)
    story = build_storyline(alert, events)
    text = summarize(alert, story, prioritize(alert, story))
    assert text == (
        "SSH Private Key Opened by a Non-SSH Program (high). It started from the MCP tool call export_notes() "
        "on server notes, requested by client cursor. Process chain: python3 (100) → sh (200) → cat (201). "
        "Files involved: /home/dev/.ssh/id_rsa. It connected to 93.184.216.34:443. "
        "ATT&CK: Private Keys (T1552.004). Priority critical (96/100). What to do: stop the process tree, "
        "block tool export_notes or quarantine server notes until it is reviewed and rotate the credentials "
        "it could read."
    )


def test_summary_without_storyline_names_techniques_and_advice():
    alert = Alert("r", "Cron Table Written", Severity.MEDIUM, ("T1053.003", "T9999"),
                  ("persistence", "execution"), ())
    text = summarize(alert)
    assert text == ("Cron Table Written (medium). ATT&CK: Cron (T1053.003) and T9999. "
                    "What to do: remove what it installed to run again.")


def test_summary_with_nothing_to_go_on_still_advises():
    text = summarize(Alert("r", "Odd", Severity.LOW, (), (), ()))
    assert text.endswith("What to do: review the events and the rule's known false positives.")


def test_long_lists_are_counted():
    events = chain()
    alert = Alert("r", "t", Severity.LOW, ("T1003", "T1005", "T1041", "T1053", "T1059", "T1105"), (), ())
    text = summarize(alert, build_storyline(alert, events))
    assert "and 2 more." in text
