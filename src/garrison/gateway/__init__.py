"""The runtime gateway: a transparent stdio relay between an MCP client and its server, with pure
interceptors that decide, message by message, to pass, rewrite or answer.

``relay`` is the edge (processes, pipes, clocks) and ``event_log`` writes call records; ``frames``,
``messages``, ``interceptors`` and the interceptor modules (``sanitise``, ``denylist``, ``records``) are pure.
See :mod:`garrison.gateway.interceptors` for how to write an interceptor.

The protections (import them from their modules; they pull in the policy engine and the content guard):
``pins`` (lockfile enforcement), ``guard`` (content guard), ``policy`` and ``approval`` (decisions and asking a
person), ``audit_sink`` (the audit trail writer), and ``chain``, which builds them all from plain options.
"""

from garrison.gateway.denylist import DenyList
from garrison.gateway.interceptors import (
    PASS,
    BaseInterceptor,
    CallRecord,
    Decision,
    EventSink,
    Exchange,
    Interceptor,
    InterceptorChain,
    SessionState,
    Verdict,
)
from garrison.gateway.limits import Limits
from garrison.gateway.messages import Message
from garrison.gateway.records import CallRecorder
from garrison.gateway.sanitise import ToolListSanitiser

__all__ = [
    "PASS",
    "BaseInterceptor",
    "CallRecord",
    "CallRecorder",
    "Decision",
    "DenyList",
    "EventSink",
    "Exchange",
    "Interceptor",
    "InterceptorChain",
    "Limits",
    "Message",
    "SessionState",
    "ToolListSanitiser",
    "Verdict",
]
