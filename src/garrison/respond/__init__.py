"""Response: act on alerts. Actions (kill a process tree, block a tool, quarantine a server, revoke a pin,
notify a webhook), playbooks that pick actions by rule, technique, priority, server or tag, and a result for
every action taken or, in a dry run (the default for destructive actions), planned.
"""

from garrison.respond.blocklist import (
    BLOCKLIST_FILE,
    Blocklist,
    BlocklistGate,
    BlocklistView,
    load_blocklist,
    load_blocklist_or_deny,
    save_blocklist,
)
from garrison.respond.kill import kill_tree
from garrison.respond.pins import revoke, revoke_in_file
from garrison.respond.playbook import ActionSpec, Condition, Playbook, load_playbooks, parse_playbooks
from garrison.respond.results import ACTION_NAMES, DESTRUCTIVE, ActionResult, result_event
from garrison.respond.run import Assessed, Responder, assess, assess_all, kill_target, matches, respond, run_action
from garrison.respond.webhook import notify

__all__ = [
    "ACTION_NAMES",
    "BLOCKLIST_FILE",
    "DESTRUCTIVE",
    "ActionResult",
    "ActionSpec",
    "Assessed",
    "Blocklist",
    "BlocklistGate",
    "BlocklistView",
    "Condition",
    "Playbook",
    "Responder",
    "assess",
    "assess_all",
    "kill_target",
    "kill_tree",
    "load_blocklist",
    "load_blocklist_or_deny",
    "load_playbooks",
    "matches",
    "notify",
    "parse_playbooks",
    "respond",
    "result_event",
    "revoke",
    "revoke_in_file",
    "run_action",
    "save_blocklist",
]
