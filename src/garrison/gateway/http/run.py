"""Run the gateway: config in, a served socket until cancelled (the outermost edge)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from garrison.errors import ConfigError
from garrison.gateway.http.app import bind, build_app, serve
from garrison.gateway.http.chain import ChainBuilder, gateway_chains
from garrison.gateway.http.config import GatewayConfig
from garrison.gateway.http.hub import Hub
from garrison.gateway.interceptors import EventSink

__all__ = ["run_gateway"]


async def run_gateway(config: GatewayConfig, *, sink: EventSink | None = None,
                      chain_builder: ChainBuilder = gateway_chains, sock: socket.socket | None = None,
                      on_ready: Callable[[int], Any] | None = None) -> None:
    """Serve ``config`` until cancelled. ``sock`` (already bound) overrides ``listen``; ``on_ready`` gets the port."""
    chains, visibility = chain_builder(config, sink)
    hub = Hub(config, chains, visibility=visibility)
    if sock is not None:
        await serve(build_app(config, hub), sock, on_ready=on_ready)
        return
    try:
        own = bind(config.host, config.port)
    except OSError as err:
        raise ConfigError(f"cannot listen on {config.host}:{config.port}: {err.strerror or err}",
                          where=config.path) from None
    with own:
        await serve(build_app(config, hub), own, on_ready=on_ready)
