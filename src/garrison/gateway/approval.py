"""Asking a person: the ``elicitation/create`` request for a call the policy says to ``ask`` about, and the
reading of its answer (pure).

The channel is the MCP client itself. A client that declared the ``elicitation`` capability in
``initialize`` gets a form with one yes/no field, ``approve``; the call goes on only if the person answers
``accept`` with ``approve: true`` before the gateway's approval timeout. ``decline``, ``cancel``, an error, an
unchecked box or no answer refuse the call with JSON-RPC error ``-32010`` that names the policy rule.

Clients without elicitation (and 2026-07-28-era sessions, where a gateway cannot send requests to the client
outside a call) get the documented fallback: the call is refused at once, the error naming the rule and
saying how to allow it (edit the rule at its ``file:line``, or use a client that supports elicitation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from garrison.gateway.interceptors import Decision, SessionState
from garrison.gateway.messages import REQUEST_DENIED, Message, error_body

__all__ = [
    "APPROVE_FIELD",
    "approval_outcome",
    "can_elicit",
    "elicitation_params",
    "refusal_body",
    "unavailable_message",
]

APPROVE_FIELD = "approve"
MAX_SHOWN_CHARS = 600


def can_elicit(session: SessionState) -> bool:
    """The client declared ``elicitation`` in a handshake-era ``initialize``."""
    version = session.protocol_version
    capabilities = session.client_capabilities
    return (version is not None and version < "2026-" and isinstance(capabilities, Mapping)
            and isinstance(capabilities.get("elicitation"), Mapping))


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 1] + "…"


def elicitation_params(session: SessionState, tool: str, argument_shape: Mapping[str, Any], reason: str,
                       rule: str) -> dict[str, Any]:
    """The form shown to the person: which server and tool, the argument names and types (never values),
    and the policy's reason."""
    message = (f"Garrison: the MCP server {session.server!r} wants to run tool {tool!r}.\n"
               f"Arguments (names and types): {_shown(dict(argument_shape))}\n"
               f"Policy rule {rule}: {_shown(reason)}\n"
               "Allow this one call?")
    params: dict[str, Any] = {
        "message": message,
        "requestedSchema": {
            "type": "object",
            "properties": {APPROVE_FIELD: {"type": "boolean", "title": "Allow this call",
                                           "description": f"Run {tool!r} on {session.server!r} once",
                                           "default": False}},
            "required": [APPROVE_FIELD],
        },
    }
    if session.protocol_version is not None and session.protocol_version >= "2025-11-25":
        params["mode"] = "form"
    return params


def approval_outcome(response: Message | None, timeout: float) -> tuple[bool, str]:
    """``(approved, why)`` from the client's answer to ``elicitation/create`` (``None``: no answer)."""
    if response is None:
        return False, f"no answer from the person within {timeout:g} s"
    if response.kind == "error":
        error = response.body.get("error")
        text = error.get("message") if isinstance(error, Mapping) else None
        return False, f"the client could not ask: {_shown(text or 'error')}"
    result = response.result or {}
    action = result.get("action")
    if action != "accept":
        return False, f"the person answered {_shown(action)!s}" if isinstance(action, str) else \
            "the client's answer had no action"
    content = result.get("content")
    if not isinstance(content, Mapping) or content.get(APPROVE_FIELD) is not True:
        return False, f"the person did not tick {APPROVE_FIELD!r}"
    return True, "approved by the person at the client"


def refusal_body(request_id: Any, server: str, tool: str | None, asked: Decision, why: str) -> dict[str, Any]:
    """The JSON-RPC error for a call that was asked about and not approved."""
    data = {"server": server, "tool": tool, "action": "ask", "rule": asked.reason, "outcome": why}
    message = f"call to {tool!r} on server {server!r} not approved ({asked.reason}): {why}"
    return error_body(request_id, REQUEST_DENIED, message, data)


def unavailable_message(rule: str, where: str | None, reason: str) -> str:
    """The fallback refusal when nobody can be asked."""
    edit = f" (edit the rule at {where})" if where else ""
    return (f"approval required by policy rule {rule}{edit}, and this client cannot be asked (it did not "
            f"declare the 'elicitation' capability), so the call is refused: {reason}. To allow it, change the "
            "rule to 'allow' or use a client that supports elicitation.")
