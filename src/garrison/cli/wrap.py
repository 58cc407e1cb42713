"""``garrison wrap [OPTIONS] -- COMMAND [ARGS…]``: run an MCP stdio server behind the gateway relay.

Put it in the client's MCP config in place of the server's command. stdout carries only JSON-RPC; notices
go to stderr. Exit status: 0 when the client hung up, 3 when the server ended first or could not start,
2 for usage errors.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from garrison.cli.args import env_option

__all__ = ["register", "run"]

def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "wrap",
        help="run an MCP stdio server behind the Garrison gateway",
        description="Relay an MCP stdio server transparently, with size limits, timeouts, a tool deny-list, "
        "description sanitising and call records. Use it as the command in the client's MCP config: "
        "garrison wrap --name NAME -- COMMAND ARGS...",
        epilog="Exit codes: 0 the client hung up, 2 usage error, 3 the server ended first or did not start.",
    )
    env_option(parser, "--name", env="GARRISON_WRAP_NAME", metavar="NAME",
               help="server name used in notices, errors and call records (default: the command's file name)")
    env_option(parser, "--deny-tools", env="GARRISON_WRAP_DENY_TOOLS", metavar="NAME[,NAME...]", default="",
               help="comma-separated tool names to refuse at tools/call and hide from tools/list")
    env_option(parser, "--events", env="GARRISON_WRAP_EVENTS", metavar="PATH",
               help="append one JSON line per request (call records, argument values redacted) to PATH")
    env_option(parser, "--max-frame-bytes", env="GARRISON_WRAP_MAX_FRAME_BYTES", type=int, metavar="BYTES",
               help="largest JSON-RPC message relayed, in bytes (default: 16 MiB)")
    env_option(parser, "--request-timeout", env="GARRISON_WRAP_REQUEST_TIMEOUT", type=float,
               metavar="SECONDS",
               help="seconds a request may wait for the server; progress restarts the clock (default: 300)")
    env_option(parser, "--unsafe-no-sanitise", env="GARRISON_WRAP_UNSAFE_NO_SANITISE", action="store_true",
               default=False, help="relay listed descriptions with invisible characters and escapes left in")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]",
                        help="the server's command line, after --")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from garrison.errors import UsageError
    from garrison.gateway.denylist import DenyList
    from garrison.gateway.event_log import EventLog
    from garrison.gateway.interceptors import Interceptor, InterceptorChain, SessionState
    from garrison.gateway.limits import Limits
    from garrison.gateway.records import CallRecorder
    from garrison.gateway.relay import run_relay
    from garrison.gateway.sanitise import ToolListSanitiser

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise UsageError("no server command given (usage: garrison wrap [OPTIONS] -- COMMAND [ARGS...])")
    try:
        given = {"max_frame_bytes": args.max_frame_bytes, "request_timeout": args.request_timeout}
        limits = Limits(**{k: v for k, v in given.items() if v is not None})
    except ValueError as err:
        raise UsageError(str(err), where="garrison wrap") from None
    name = args.name or os.path.basename(command[0])
    denied = [t.strip() for t in str(args.deny_tools or "").split(",") if t.strip()]

    interceptors: list[Interceptor] = []
    if denied:
        interceptors.append(DenyList(dict.fromkeys(denied, "denied by --deny-tools")))
    if not args.unsafe_no_sanitise:
        interceptors.append(ToolListSanitiser())
    log = EventLog.open(args.events) if args.events else None
    if log is not None:
        interceptors.append(CallRecorder(log.write))
    try:
        return asyncio.run(run_relay(command, session=SessionState(server=name),
                                     chain=InterceptorChain(interceptors), limits=limits))
    finally:
        if log is not None:
            log.close()
