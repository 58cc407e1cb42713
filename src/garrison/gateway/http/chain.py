"""The gateway's interceptor chain, built from the configuration (the one place interceptors are chosen).

``build_chain(config, sink)`` returns the chain and the per-identity tool-visibility hook. It is the seam
for the interceptors shared with ``garrison wrap``: description sanitising always, the policy engine when
``policy:`` is set (its ``tool_visible`` also hides tools from ``tools/list``), call records when there is
an event sink. A ``lockfile:`` needs the pin-enforcement interceptor; until one is wired in here the
gateway refuses to start with a lockfile rather than run without enforcing it (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable

from garrison.errors import ConfigError
from garrison.gateway.http.config import GatewayConfig
from garrison.gateway.http.hub import ToolVisibility
from garrison.gateway.interceptors import EventSink, Interceptor, InterceptorChain
from garrison.gateway.records import CallRecorder
from garrison.gateway.sanitise import ToolListSanitiser

__all__ = ["ChainBuilder", "build_chain"]

ChainBuilder = Callable[[GatewayConfig, EventSink | None], tuple[InterceptorChain, ToolVisibility | None]]


def build_chain(config: GatewayConfig, sink: EventSink | None) -> tuple[InterceptorChain, ToolVisibility | None]:
    interceptors: list[Interceptor] = [ToolListSanitiser()]
    visibility: ToolVisibility | None = None
    if config.lockfile is not None:
        raise ConfigError("lockfile enforcement is not available in the gateway yet; remove 'lockfile:' "
                          "or pin with 'garrison wrap'", where=config.path)
    if config.policy is not None:
        from garrison.policy import load_policy
        from garrison.policy.interceptor import PolicyInterceptor

        policy = load_policy(config.policy)
        interceptors.append(PolicyInterceptor(policy))

        def visibility(identity: str | None, server: str, tool: str) -> bool:
            return policy.tool_visible(server, tool, identity)

    if sink is not None:
        interceptors.append(CallRecorder(sink))
    return InterceptorChain(interceptors), visibility
