"""The runtime gateway: a transparent stdio relay between an MCP client and its server, with pure
interceptors that decide, message by message, to pass, rewrite or answer.

``relay`` is the edge (processes, pipes, clocks); ``frames``, ``messages``, ``interceptors`` and the
interceptor modules are pure.
"""

from garrison.gateway.interceptors import (
    CallRecord,
    Decision,
    EventSink,
    Interceptor,
    InterceptorChain,
    SessionState,
)
from garrison.gateway.limits import Limits
from garrison.gateway.messages import Message

__all__ = [
    "CallRecord",
    "Decision",
    "EventSink",
    "Interceptor",
    "InterceptorChain",
    "Limits",
    "Message",
    "SessionState",
]
