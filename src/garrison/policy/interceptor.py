"""The policy as a gateway interceptor: ``tools/call`` requests are decided, denied tools are hidden.

One :class:`PolicyInterceptor` serves one relayed session. It learns each tool's capabilities from the
``tools/list`` results the server sends (``garrison.analysis.capabilities.label_tool``), keeps the session's
:class:`~garrison.policy.engine.PolicyState`, and uses the time the relay read each message (``msg.at``) as
the clock. A call the policy does not allow is answered with JSON-RPC error ``-32010`` whose message is the
decision's reason and whose ``data`` carries ``tool``, ``server``, ``action``, ``rule``, ``where``. The relay
has no approval channel yet, so ``ask`` is refused too, saying that approval is required.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from garrison.analysis.capabilities import Capability, label_tool
from garrison.gateway.interceptors import PASS, BaseInterceptor, Decision, SessionState
from garrison.gateway.messages import REQUEST_DENIED, Message
from garrison.model import Definition
from garrison.policy.engine import CallContext, Policy, PolicyState

__all__ = ["PolicyInterceptor"]

MAX_KNOWN_TOOLS = 10_000


class PolicyInterceptor(BaseInterceptor):
    """``identity`` fixes the caller's identity; by default it is ``client:<clientInfo.name>``."""

    name = "policy"

    def __init__(self, policy: Policy, *, identity: str | None = None, state: PolicyState | None = None) -> None:
        self.policy = policy
        self.identity = identity
        self.state = state if state is not None else PolicyState()
        self.capabilities: dict[str, frozenset[Capability]] = {}

    def _identity(self, session: SessionState) -> str | None:
        if self.identity is not None:
            return self.identity
        name = session.client_info.get("name") if session.client_info else None
        return f"client:{name}" if isinstance(name, str) and name else None

    def on_client_request(self, msg: Message, session: SessionState) -> Decision:
        tool = msg.tool_name
        if tool is None:
            return PASS
        arguments: Any = msg.params.get("arguments", {})
        call = CallContext(server=session.server, tool=tool, arguments={} if arguments is None else arguments,
                           identity=self._identity(session), capabilities=self.capabilities.get(tool))
        decision = self.policy.decide(call, self.state, msg.at)
        if decision.action == "allow":
            return PASS
        message = decision.reason
        if decision.action == "ask":
            message = f"approval required, and this gateway cannot ask for it, so the call is refused: {message}"
        data = {"tool": tool, "server": session.server, **decision.to_json()}
        return Decision.reply_error(REQUEST_DENIED, message, data, reason=f"{decision.rule}: {decision.action}")

    def on_server_response(self, request: Message, response: Message, session: SessionState) -> Decision:
        result = response.result
        if request.method != "tools/list" or result is None or not isinstance(result.get("tools"), list):
            return PASS
        identity = self._identity(session)
        kept: list[Any] = []
        hidden: list[str] = []
        for item in result["tools"]:
            name = item.get("name") if isinstance(item, Mapping) else None
            if not isinstance(name, str):
                kept.append(item)
                continue
            if len(self.capabilities) < MAX_KNOWN_TOOLS or name in self.capabilities:
                self.capabilities[name] = label_tool(Definition("tool", item))
            if self.policy.tool_visible(session.server, name, identity):
                kept.append(item)
            else:
                hidden.append(name)
        if not hidden:
            return PASS
        body = dict(response.body)
        body["result"] = {**result, "tools": kept}
        return Decision.rewrite(body, f"policy hid denied tools: {', '.join(sorted(hidden))}")
