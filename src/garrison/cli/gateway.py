"""``garrison gateway --config FILE``: serve many MCP servers behind one authenticated HTTP endpoint.

Prints ``garrison gateway: listening on http://HOST:PORT/mcp`` to stderr when ready; runs until SIGINT or
SIGTERM (exit 0). A configuration error exits 2.
"""

from __future__ import annotations

import argparse
from typing import Any

from garrison.cli.args import env_option

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "gateway",
        help="serve upstream MCP servers behind one streamable-HTTP/SSE endpoint",
        description="Aggregate the upstream MCP servers listed in a YAML file behind /mcp (streamable HTTP) and "
        "/sse, with bearer-token identities, Host/Origin checks, body limits, namespaced tool names "
        "(<server>__<tool>), the same interceptors as garrison wrap, and /healthz.",
        epilog="Exit codes: 0 stopped by a signal, 2 configuration or usage error.",
    )
    env_option(parser, "--config", env="GARRISON_GATEWAY_CONFIG", metavar="FILE", required=False,
               help="the gateway's YAML configuration (see docs/gateway.md)")
    env_option(parser, "--events", env="GARRISON_GATEWAY_EVENTS", metavar="PATH",
               help="append one JSON line per relayed request (with the client identity) to PATH; "
               "overrides 'events:' in the file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import os
    import sys

    import anyio

    from garrison.errors import UsageError
    from garrison.gateway.event_log import EventLog
    from garrison.gateway.http.config import load_config
    from garrison.gateway.http.run import run_gateway

    if not args.config:
        raise UsageError("no configuration given (garrison gateway --config FILE)")
    config = load_config(args.config, os.environ)
    events = args.events or config.events
    log = EventLog.open(events) if events else None

    def ready(port: int) -> None:
        host = f"[{config.host}]" if ":" in config.host else config.host
        print(f"garrison gateway: listening on http://{host}:{port}/mcp", file=sys.stderr, flush=True)  # noqa: T201

    async def main() -> None:
        # uvicorn turns SIGINT/SIGTERM into a graceful stop; run_gateway then returns
        await run_gateway(config, sink=log.write if log is not None else None, on_ready=ready)

    try:
        anyio.run(main)
    finally:
        if log is not None:
            log.close()
    return 0
