"""Data-flow rules: toxic sequences across calls in one session."""

from __future__ import annotations

from collections.abc import Callable

from garrison.analysis.capabilities import Capability, label_tool
from garrison.model import Definition
from garrison.policy import CallContext, Policy, PolicyDecision, PolicyState

MakePolicy = Callable[[str], Policy]

READ = frozenset({Capability.READS_PRIVATE_DATA})
FETCH = frozenset({Capability.INGESTS_UNTRUSTED_CONTENT})
SEND = frozenset({Capability.SENDS_DATA_OUT})
EXEC = frozenset({Capability.EXECUTES_CODE})
DELETE = frozenset({Capability.DESTRUCTIVE})


def _run(policy: Policy, state: PolicyState, calls: list[tuple[str, frozenset[Capability] | None]]) -> list[str]:
    return [policy.decide(CallContext("s", tool, {}, capabilities=caps), state, 0.0).action for tool, caps in calls]


def test_read_then_send_asks_by_default(make_policy: MakePolicy) -> None:
    policy, state = make_policy("version: 1\n"), PolicyState()
    assert _run(policy, state, [("send_email", SEND), ("read_file", READ), ("send_email", SEND)]) == \
        ["allow", "allow", "ask"]
    decision = policy.decide(CallContext("s", "send_email", {}, capabilities=SEND), state, 0.0)
    assert decision.rule == "flow.after_private_data.sends_data_out"
    assert "already read private data (via s/read_file)" in decision.reason
    assert "sends data out" in decision.reason


def test_untrusted_then_exec_can_deny(make_policy: MakePolicy) -> None:
    text = "version: 1\nflow:\n  after_untrusted_content:\n    executes_code: deny\n    destructive: ask\n"
    policy, state = make_policy(text), PolicyState()
    assert _run(policy, state, [("run", EXEC), ("delete", DELETE), ("fetch", FETCH), ("run", EXEC),
                                ("delete", DELETE), ("send", SEND)]) == \
        ["allow", "allow", "allow", "deny", "ask", "ask"]


def test_flow_can_be_switched_to_allow(make_policy: MakePolicy) -> None:
    text = "version: 1\nflow:\n  after_private_data: {sends_data_out: allow, executes_code: allow}\n"
    policy, state = make_policy(text), PolicyState()
    assert _run(policy, state, [("read", READ), ("send", SEND), ("run", EXEC)]) == ["allow"] * 3


def test_denied_source_call_does_not_taint(make_policy: MakePolicy) -> None:
    text = "version: 1\nrules:\n  - name: no-read\n    tool: read_secret\n    action: deny\n"
    policy, state = make_policy(text), PolicyState()
    assert _run(policy, state, [("read_secret", READ), ("send", SEND)]) == ["deny", "allow"]
    assert state.flow.sources == {}


def test_unknown_tool_taints_and_is_treated_as_a_sink(make_policy: MakePolicy) -> None:
    policy, state = make_policy("version: 1\n"), PolicyState()
    assert _run(policy, state, [("mystery", None), ("send", SEND), ("mystery", None)]) == ["allow", "ask", "ask"]
    decision = policy.decide(CallContext("s", "mystery", {}, capabilities=None), state, 0.0)
    assert decision.rule == "flow.unknown_tools"


def test_sessions_are_independent(make_policy: MakePolicy) -> None:
    policy = make_policy("version: 1\n")
    one, two = PolicyState(), PolicyState()
    assert _run(policy, one, [("read", READ)]) == ["allow"]
    assert _run(policy, two, [("send", SEND)]) == ["allow"]
    assert _run(policy, one, [("send", SEND)]) == ["ask"]


def test_identity_section_overrides_flow(make_policy: MakePolicy) -> None:
    text = """
    version: 1
    identities:
      - name: bots
        match: "bot-*"
        flow:
          after_private_data:
            sends_data_out: deny
    """
    policy = make_policy(text)
    for identity, expected in (("bot-1", "deny"), ("alice", "ask")):
        state = PolicyState()
        actions = [policy.decide(CallContext("s", t, {}, identity, caps), state, 0.0).action
                   for t, caps in (("read", READ), ("send", SEND))]
        assert actions == ["allow", expected]


def test_toxic_sequence_with_labelled_definitions(make_policy: MakePolicy) -> None:
    read_file = Definition("tool", {"name": "read_file", "description": "Read the contents of a file.",
                                    "inputSchema": {"type": "object", "properties": {"path": {"type": "string"}}}})
    send_email = Definition("tool", {"name": "send_email", "description": "Send an email to a recipient.",
                                     "inputSchema": {"type": "object",
                                                     "properties": {"recipient": {}, "body": {}}}})
    policy, state = make_policy("version: 1\n"), PolicyState()
    decisions: list[PolicyDecision] = [
        policy.decide(CallContext("files", d.name, {}, capabilities=label_tool(d)), state, float(i))
        for i, d in enumerate((read_file, send_email))
    ]
    assert [d.action for d in decisions] == ["allow", "ask"]
    assert "files/read_file" in decisions[1].reason


def test_deny_rule_beats_flow_ask_and_ask_rule_keeps_first_reason(make_policy: MakePolicy) -> None:
    text = "version: 1\nrules:\n  - name: mail\n    tool: send\n    action: ask\n"
    policy, state = make_policy(text), PolicyState()
    _run(policy, state, [("read", READ)])
    decision = policy.decide(CallContext("s", "send", {}, capabilities=SEND), state, 0.0)
    assert (decision.action, decision.rule) == ("ask", "rules.mail")


def test_flow_exempt_rule_skips_flow_but_keeps_its_checks(make_policy: MakePolicy) -> None:
    text = """
    version: 1
    rules:
      - name: mail-to-us
        tool: send_email
        flow_exempt: true
        arguments:
          to:
            must_match: '[^@]+@example\\.com'
    """
    policy, state = make_policy(text), PolicyState()
    _run(policy, state, [("read_file", READ)])
    inside = policy.decide(CallContext("s", "send_email", {"to": "bob@example.com"}, capabilities=SEND), state, 0.0)
    assert inside.action == "allow"
    outside = policy.decide(CallContext("s", "send_email", {"to": "x@evil.com"}, capabilities=SEND), state, 0.0)
    assert (outside.action, outside.rule) == ("deny", "rules.mail-to-us")
    other = policy.decide(CallContext("s", "post_message", {}, capabilities=SEND), state, 0.0)
    assert other.action == "ask"
    assert "flow_exempt: true" in other.reason
