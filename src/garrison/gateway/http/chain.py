"""The gateway's interceptor chains: the protections of ``garrison wrap``, one chain per relayed session.

``gateway_chains(config, sink)`` returns a chain factory and the per-identity tool-visibility hook. The hub
calls the factory once per (client session, upstream) with the upstream's name and the client's identity, and
the factory builds the chain with :func:`garrison.gateway.chain.build_chain`, exactly as ``garrison wrap``
does for one server: pins from ``lockfile:`` (off without one), the content guard, the policy from
``policy:`` (allow / deny / ask the person at the client), description sanitising and call records. The
policy file is loaded once and shared. Without a policy, pins use ``wrap``'s ``auto`` mode decided once, at
start (no lockfile yet: pin every upstream on first use; else block upstreams missing from it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from garrison.gateway.http.config import GatewayConfig
from garrison.gateway.http.hub import ChainFactory, ToolVisibility
from garrison.gateway.interceptors import EventSink, InterceptorChain

if TYPE_CHECKING:
    from garrison.gateway.pins import UnpinnedMode

__all__ = ["ChainBuilder", "gateway_chains"]

ChainBuilder = Callable[[GatewayConfig, EventSink | None], tuple[ChainFactory, ToolVisibility | None]]


def _notice(text: str) -> None:
    print(f"garrison gateway: {text}", file=sys.stderr, flush=True)  # noqa: T201 - people to stderr


def gateway_chains(config: GatewayConfig, sink: EventSink | None) -> tuple[ChainFactory, ToolVisibility | None]:
    """Load the policy once (a :class:`~garrison.errors.PolicyError` naming file:line if it is invalid)."""
    from garrison.gateway.chain import ChainOptions, build_chain
    from garrison.policy import Policy, load_policy

    policy: Policy | None = load_policy(config.policy) if config.policy is not None else None
    visibility: ToolVisibility | None = None
    if policy is not None:
        loaded = policy

        def visibility(identity: str | None, server: str, tool: str) -> bool:
            return loaded.tool_visible(server, tool, identity)

    sinks = [sink] if sink is not None else []
    # wrap's "auto" (pin on first use only while there is no lockfile) is decided once, at start: with several
    # upstreams the first one pinned would otherwise create the file and get the others blocked
    unpinned: UnpinnedMode | None = None
    if policy is None and config.lockfile is not None:
        unpinned = "block" if os.path.exists(config.lockfile) else "pin-on-first-use"

    def chain(server: str, identity: str | None) -> InterceptorChain:
        options = ChainOptions(server=server, identity=identity, lockfile=config.lockfile, policy=policy,
                               unpinned=unpinned, approve_hint=f" (upstream {server!r} of {config.path})")
        return build_chain(options, sinks=sinks, notice=_notice).chain

    return chain, visibility
