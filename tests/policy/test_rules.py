"""Rule votes, defaults, globs, identity sections, tool visibility and server settings."""

from __future__ import annotations

from collections.abc import Callable

from garrison.policy import CallContext, Policy, PolicyDecision, PolicyState, ServerSettings

MakePolicy = Callable[[str], Policy]

RULES = """
version: 1
defaults:
  action: deny
rules:
  - name: files-read
    server: filesystem
    tool: ["read_*", "list_*"]
    action: allow
  - name: files-all
    server: filesystem
    tool: "*"
    action: ask
  - name: no-delete
    tool: "delete_*"
    action: deny
    reason: deletion is off
  - name: fs-delete-ok
    server: filesystem
    tool: delete_file
    action: allow
"""


def _decide(policy_text: str, make_policy: MakePolicy, server: str, tool: str,
            identity: str | None = None) -> PolicyDecision:
    return make_policy(policy_text).decide(CallContext(server, tool, {}, identity), PolicyState(), 0.0)


def test_strongest_vote_wins_regardless_of_order(make_policy: MakePolicy) -> None:
    read = _decide(RULES, make_policy, "filesystem", "read_file")
    assert (read.action, read.rule) == ("ask", "rules.files-all")
    delete = _decide(RULES, make_policy, "filesystem", "delete_file")
    assert (delete.action, delete.rule) == ("deny", "rules.no-delete")
    assert "deletion is off" in delete.reason
    assert "edit rule 'no-delete' at garrison.yaml:14" in delete.reason
    assert delete.where == "garrison.yaml:14"


def test_default_decides_when_no_rule_votes(make_policy: MakePolicy) -> None:
    decision = _decide(RULES, make_policy, "web", "fetch")
    assert (decision.action, decision.rule, decision.where) == ("deny", "defaults.action", "garrison.yaml:4")
    assert "add a rule with 'action: allow'" in decision.reason
    allow = _decide("version: 1\n", make_policy, "web", "fetch")
    assert (allow.action, allow.rule) == ("allow", "defaults.action")


def test_globs_are_case_insensitive_and_anchored(make_policy: MakePolicy) -> None:
    assert _decide(RULES, make_policy, "web", "DELETE_Everything").action == "deny"
    assert _decide(RULES, make_policy, "FileSystem", "Read_File").rule == "rules.files-all"
    text = "version: 1\nrules:\n  - name: r\n    tool: send\n    action: deny\n"
    assert _decide(text, make_policy, "s", "send").action == "deny"
    assert _decide(text, make_policy, "s", "send_mail").action == "allow"
    assert _decide(text, make_policy, "s", "resend").action == "allow"


def test_fullwidth_name_folds_to_ascii(make_policy: MakePolicy) -> None:
    text = "version: 1\nrules:\n  - name: r\n    tool: run_shell\n    action: deny\n"
    assert _decide(text, make_policy, "s", "ｒｕｎ_ｓｈｅｌｌ").action == "deny"


IDENTITIES = """
version: 1
rules:
  - name: everyone-no-shell
    tool: run_shell
    action: deny
identities:
  - name: ci
    match: ["token:ci-*"]
    default: deny
    rules:
      - name: ci-read
        tool: "read_*"
        action: allow
  - name: interns
    match: "client:intern-*"
    flow:
      after_private_data:
        sends_data_out: deny
"""


def test_identity_section_rules_and_default_apply_only_to_their_identities(make_policy: MakePolicy) -> None:
    assert _decide(IDENTITIES, make_policy, "s", "read_file", "token:ci-7").rule == "rules.ci-read"
    write = _decide(IDENTITIES, make_policy, "s", "write_file", "token:ci-7")
    assert (write.action, write.rule) == ("deny", "identities.ci.default")
    other = _decide(IDENTITIES, make_policy, "s", "write_file", "token:alice")
    assert (other.action, other.rule) == ("allow", "defaults.action")
    anonymous = _decide(IDENTITIES, make_policy, "s", "write_file", None)
    assert anonymous.action == "allow"
    shell = _decide(IDENTITIES, make_policy, "s", "run_shell", "token:ci-7")
    assert shell.rule == "rules.everyone-no-shell"


def test_rule_level_identity_globs(make_policy: MakePolicy) -> None:
    text = "version: 1\nrules:\n  - name: r\n    identity: [alice, 'bob*']\n    action: deny\n"
    assert _decide(text, make_policy, "s", "t", "alice").action == "deny"
    assert _decide(text, make_policy, "s", "t", "bobby").action == "deny"
    assert _decide(text, make_policy, "s", "t", "carol").action == "allow"
    assert _decide(text, make_policy, "s", "t", None).action == "allow"


def test_tool_visible_hides_only_tools_denied_outright(make_policy: MakePolicy) -> None:
    policy = make_policy(RULES)
    assert policy.tool_visible("filesystem", "read_file")
    assert policy.tool_visible("filesystem", "write_file")  # ask stays visible
    assert not policy.tool_visible("filesystem", "delete_file")
    assert not policy.tool_visible("web", "fetch")  # default deny
    ids = make_policy(IDENTITIES)
    assert not ids.tool_visible("s", "write_file", "token:ci-1")
    assert ids.tool_visible("s", "write_file", "token:bob")


def test_constraint_only_rule_does_not_vote(make_policy: MakePolicy) -> None:
    text = """
    version: 1
    defaults:
      action: deny
    rules:
      - name: sizes
        arguments:
          "*":
            max_bytes: 100
    """
    policy = make_policy(text)
    assert policy.decide(CallContext("s", "t", {"a": "x"}), PolicyState(), 0.0).rule == "defaults.action"


def test_server_settings_first_match_per_key(make_policy: MakePolicy) -> None:
    text = """
    version: 1
    defaults:
      unpinned: block
      guard: {outputs: flag}
    servers:
      - match: "lab-*"
        unpinned: pin_on_first_use
      - match: "*"
        guard: {outputs: block, argument_secrets: flag}
    """
    policy = make_policy(text)
    assert policy.settings_for("lab-1") == ServerSettings("pin_on_first_use", "block", "flag")
    assert policy.settings_for("prod") == ServerSettings("block", "block", "flag")
    assert make_policy("version: 1\n").settings_for("x") == ServerSettings("block", "redact", "block")
