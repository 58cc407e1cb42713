"""Rate limits over a fake clock: sliding windows, token buckets, keys, and refusals not counted."""

from __future__ import annotations

from collections.abc import Callable

from garrison.policy import CallContext, Policy, PolicyState, RateState

MakePolicy = Callable[[str], Policy]

SLIDING = """
version: 1
rate_limits:
  - name: mail
    tool: send_*
    calls: 3
    window: 60
"""


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def _actions(policy: Policy, state: PolicyState, clock: FakeClock, n: int, step: float, tool: str = "send_mail",
             identity: str | None = None, server: str = "mail") -> list[str]:
    out: list[str] = []
    for _ in range(n):
        out.append(policy.decide(CallContext(server, tool, {}, identity), state, clock.now).action)
        clock.advance(step)
    return out


def test_sliding_window_counts_calls_in_the_window(make_policy: MakePolicy) -> None:
    policy, state, clock = make_policy(SLIDING), PolicyState(), FakeClock()
    assert _actions(policy, state, clock, 4, 10) == ["allow", "allow", "allow", "deny"]
    clock.advance(19)  # t=1059: the first call (t=1000) is still inside the window
    assert _actions(policy, state, clock, 1, 1) == ["deny"]  # t=1060: it leaves
    assert _actions(policy, state, clock, 1, 0) == ["allow"]
    assert _actions(policy, state, clock, 1, 0) == ["deny"]
    decision = policy.decide(CallContext("mail", "send_mail", {}), state, clock.now)
    assert decision.rule == "rate_limits.mail"
    assert "3 calls per 60 s" in decision.reason
    assert "garrison.yaml:4" in decision.reason


def test_other_tools_are_not_counted(make_policy: MakePolicy) -> None:
    policy, state, clock = make_policy(SLIDING), PolicyState(), FakeClock()
    assert _actions(policy, state, clock, 5, 0, tool="read_mail") == ["allow"] * 5
    assert _actions(policy, state, clock, 3, 0) == ["allow"] * 3


def test_default_key_separates_tools_servers_and_identities(make_policy: MakePolicy) -> None:
    policy, state, clock = make_policy(SLIDING), PolicyState(), FakeClock()
    assert _actions(policy, state, clock, 3, 0, tool="send_mail") == ["allow"] * 3
    assert _actions(policy, state, clock, 1, 0, tool="send_sms") == ["allow"]
    assert _actions(policy, state, clock, 1, 0, server="mail2") == ["allow"]
    assert _actions(policy, state, clock, 1, 0, identity="bob") == ["allow"]
    assert _actions(policy, state, clock, 1, 0) == ["deny"]


def test_per_identity_limit_shared_across_sessions(make_policy: MakePolicy) -> None:
    text = "version: 1\nrate_limits:\n  - name: r\n    calls: 2\n    window: 1m\n    per: identity\n"
    policy, clock = make_policy(text), FakeClock()
    shared = RateState()
    one, two = PolicyState(rates=shared), PolicyState(rates=shared)
    assert _actions(policy, one, clock, 1, 0, tool="a", identity="alice") == ["allow"]
    assert _actions(policy, two, clock, 1, 0, tool="b", server="other", identity="alice") == ["allow"]
    assert _actions(policy, one, clock, 1, 0, tool="c", identity="alice") == ["deny"]
    assert _actions(policy, two, clock, 1, 0, tool="c", identity="bob") == ["allow"]


def test_token_bucket_burst_and_refill(make_policy: MakePolicy) -> None:
    text = """
    version: 1
    rate_limits:
      - name: bucket
        calls: 1
        window: 10s
        algorithm: token_bucket
        burst: 3
    """
    policy, state, clock = make_policy(text), PolicyState(), FakeClock()
    assert _actions(policy, state, clock, 4, 0, tool="t") == ["allow", "allow", "allow", "deny"]
    clock.advance(9.9)
    assert _actions(policy, state, clock, 1, 0, tool="t") == ["deny"]
    clock.advance(0.1)
    assert _actions(policy, state, clock, 2, 0, tool="t") == ["allow", "deny"]
    clock.advance(1000)  # refill is capped at the burst
    assert _actions(policy, state, clock, 4, 0, tool="t") == ["allow", "allow", "allow", "deny"]


def test_clock_going_backwards_does_not_refill(make_policy: MakePolicy) -> None:
    policy, state, clock = make_policy(SLIDING), PolicyState(), FakeClock()
    assert _actions(policy, state, clock, 3, 0) == ["allow"] * 3
    clock.advance(-3600)
    assert _actions(policy, state, clock, 1, 0) == ["deny"]


def test_refused_calls_do_not_use_the_budget(make_policy: MakePolicy) -> None:
    text = SLIDING + "rules:\n  - name: small\n    arguments:\n      body:\n        max_bytes: 10\n"
    policy, state, clock = make_policy(text), PolicyState(), FakeClock()
    for _ in range(5):
        refused = policy.decide(CallContext("mail", "send_mail", {"body": "x" * 50}), state, clock.now)
        assert refused.rule == "rules.small"
    assert _actions(policy, state, clock, 4, 0) == ["allow", "allow", "allow", "deny"]


def test_ask_rate_limit(make_policy: MakePolicy) -> None:
    text = "version: 1\nrate_limits:\n  - name: r\n    calls: 1\n    window: 5\n    action: ask\n"
    policy, state, clock = make_policy(text), PolicyState(), FakeClock()
    assert _actions(policy, state, clock, 2, 0, tool="t") == ["allow", "ask"]


def test_counter_table_is_bounded_and_fails_closed(make_policy: MakePolicy) -> None:
    text = "version: 1\nrate_limits:\n  - name: r\n    calls: 5\n    window: 60\n"
    policy, clock = make_policy(text), FakeClock()
    state = PolicyState(rates=RateState(max_counters=3))
    assert [policy.decide(CallContext("s", f"t{i}", {}), state, clock.now).action for i in range(4)] == \
        ["allow", "allow", "allow", "deny"]
    clock.advance(61)  # idle counters are dropped to make room
    assert policy.decide(CallContext("s", "t9", {}), state, clock.now).action == "allow"
