"""The policy at the gateway, with a person in the loop: ``allow`` passes, ``deny`` refuses, ``ask`` asks.

:class:`PolicyGate` extends :class:`garrison.policy.interceptor.PolicyInterceptor` (which decides each
``tools/call`` with :meth:`Policy.decide`, learns tool capabilities from listed definitions for the data-flow
rules, and hides tools every call to which would be denied). What it adds is the ``ask`` path:

* the client can be asked (:func:`~garrison.gateway.approval.can_elicit`) → ``Decision.ask`` with the
  ``elicitation/create`` form; the relay holds the call until the person answers;
* it cannot → refused with error ``-32010`` naming the rule, its ``file:line`` and how to allow the call.

A denied call is refused with the decision's reason, rule and ``where`` in ``error.data``. The gate must be the
last interceptor that decides on requests: a held call is forwarded as it stood when the policy saw it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from garrison.gateway.approval import can_elicit, elicitation_params, unavailable_message
from garrison.gateway.interceptors import PASS, Decision, SessionState
from garrison.gateway.messages import REQUEST_DENIED, Message
from garrison.gateway.records import argument_shape
from garrison.policy.engine import CallContext, Policy, PolicyState
from garrison.policy.interceptor import PolicyInterceptor

__all__ = ["PolicyGate"]


class PolicyGate(PolicyInterceptor):
    """``ask_people=False`` refuses every ``ask`` without asking (for channels with nobody to ask)."""

    name = "policy"

    def __init__(self, policy: Policy, *, identity: str | None = None, state: PolicyState | None = None,
                 ask_people: bool = True) -> None:
        super().__init__(policy, identity=identity, state=state)
        self.ask_people = ask_people

    def on_client_request(self, msg: Message, session: SessionState) -> Decision:
        tool = msg.tool_name
        if tool is None:
            return PASS
        raw: Any = msg.params.get("arguments", {})
        arguments: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        call = CallContext(server=session.server, tool=tool, arguments={} if raw is None else raw,
                           identity=self._identity(session), capabilities=self.capabilities.get(tool))
        decision = self.policy.decide(call, self.state, msg.at)
        if decision.action == "allow":
            return PASS
        data = {"tool": tool, "server": session.server, **decision.to_json()}
        label = f"{decision.rule}: {decision.action}"
        if decision.action == "ask":
            if self.ask_people and can_elicit(session):
                form = elicitation_params(session, tool, argument_shape(arguments), decision.reason, decision.rule)
                return Decision.ask(form, label)
            message = unavailable_message(decision.rule, decision.where, decision.reason)
            return Decision.reply_error(REQUEST_DENIED, message, data, reason=f"{label} (nobody to ask)")
        return Decision.reply_error(REQUEST_DENIED, f"denied by policy rule {decision.rule}: {decision.reason}",
                                    data, reason=label)
