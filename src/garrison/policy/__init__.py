"""The runtime policy engine for ``garrison wrap`` and the gateway: ``garrison.yaml`` in, decisions out.

::

    policy = load_policy("garrison.yaml")              # PolicyError naming file:line if invalid
    state = PolicyState()                              # one per session (rate counters may be shared)
    decision = policy.decide(CallContext(server, tool, arguments, identity, capabilities), state, now)
    decision.action                                    # "allow" | "ask" | "deny", with .rule and .reason
    policy.tool_visible(server, tool, identity)        # hide tools every call to which would be denied
    policy.settings_for(server)                        # unpinned-server mode and guard actions

``decide`` is pure apart from ``state``, which it updates only for calls it does not deny. The reference for
the file format is ``docs/policy.md``.
"""

from garrison.policy.engine import CallContext, FlowState, Policy, PolicyDecision, PolicyState
from garrison.policy.load import DEFAULT_POLICY_FILE, load_policy, load_policy_or_deny, policy_from_text
from garrison.policy.ratelimit import RateState
from garrison.policy.spec import Action, PolicySpec, ServerSettings

__all__ = [
    "DEFAULT_POLICY_FILE",
    "Action",
    "CallContext",
    "FlowState",
    "Policy",
    "PolicyDecision",
    "PolicySpec",
    "PolicyState",
    "RateState",
    "ServerSettings",
    "load_policy",
    "load_policy_or_deny",
    "policy_from_text",
]
