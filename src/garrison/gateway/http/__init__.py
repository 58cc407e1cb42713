"""``garrison gateway``: one streamable-HTTP/SSE endpoint in front of many upstream MCP servers.

Data flow::

    client ──HTTP──▶ Guard (size 413, Host 421, Origin 403, bearer 401 → identity)
                     └▶ SDK server (/mcp, /sse) ─▶ Hub: namespace, route, fan out
                                                   └▶ InterceptorChain (same as garrison wrap)
                                                      └▶ Upstream (shared SDK client session, restarted with backoff)

``config`` (YAML → :class:`GatewayConfig`) and ``naming`` are pure; ``hub`` is the aggregation; ``upstream``,
``app`` and ``run`` are the edges.
"""

from garrison.gateway.http.chain import ChainBuilder, gateway_chains
from garrison.gateway.http.config import ClientConfig, GatewayConfig, UpstreamConfig, load_config, parse_config
from garrison.gateway.http.hub import ChainFactory, Hub, ToolVisibility
from garrison.gateway.http.naming import SEPARATOR, Namespace
from garrison.gateway.http.run import run_gateway

__all__ = [
    "SEPARATOR",
    "ChainBuilder",
    "ChainFactory",
    "ClientConfig",
    "GatewayConfig",
    "Hub",
    "Namespace",
    "ToolVisibility",
    "UpstreamConfig",
    "gateway_chains",
    "load_config",
    "parse_config",
    "run_gateway",
]
