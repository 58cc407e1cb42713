"""The deny-list interceptor: named tools are refused at ``tools/call`` and hidden from ``tools/list``.

A refusal is a JSON-RPC error (code ``REQUEST_DENIED``, -32010) whose message names the tool and the reason,
with ``data = {"tool", "server", "reason"}``, so the client and the model both see why.
"""

from __future__ import annotations

from collections.abc import Mapping

from garrison.gateway.interceptors import PASS, BaseInterceptor, Decision, SessionState
from garrison.gateway.messages import REQUEST_DENIED, Message

__all__ = ["DenyList"]


class DenyList(BaseInterceptor):
    """``denied`` maps a tool name to the reason it is denied."""

    name = "deny-list"

    def __init__(self, denied: Mapping[str, str]) -> None:
        self._denied = dict(denied)

    def on_client_request(self, msg: Message, session: SessionState) -> Decision:
        tool = msg.tool_name
        if tool is None or tool not in self._denied:
            return PASS
        reason = self._denied[tool]
        return Decision.reply_error(
            REQUEST_DENIED,
            f"tool {tool!r} on server {session.server!r} is denied by the gateway: {reason}",
            {"tool": tool, "server": session.server, "reason": reason},
            reason=f"tool {tool!r} denied: {reason}",
        )

    def on_server_response(self, request: Message, response: Message, session: SessionState) -> Decision:
        result = response.result
        if request.method != "tools/list" or result is None or not isinstance(result.get("tools"), list):
            return PASS
        tools = result["tools"]
        kept = [t for t in tools if not (isinstance(t, Mapping) and t.get("name") in self._denied)]
        if len(kept) == len(tools):
            return PASS
        hidden = sorted({str(t.get("name")) for t in tools} - {str(t.get("name")) for t in kept})
        body = dict(response.body)
        body["result"] = {**result, "tools": kept}
        return Decision.rewrite(body, f"hid denied tools: {', '.join(hidden)}")
