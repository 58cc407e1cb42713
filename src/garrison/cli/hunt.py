"""``garrison hunt 'QUERY'``: search stored events with the hunting query language (docs/hunting.md).

Exit codes: 1 events matched, 0 none, 2 a query that does not parse (the column is named) or an unusable store.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from garrison.cli import exit_codes
from garrison.cli.args import env_option
from garrison.cli.events import add_read_options, open_existing, read_window, write_events

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "hunt",
        help="search stored events with a query",
        description="Search the events in the Garrison store. Field filters: Image:*\\reg.exe (wildcards, "
        "any case), CommandLine~\"save hklm\" (contains), DestinationIp=169.254.169.254 (exact), "
        "latency_ms>5000 (numbers); AND, OR, NOT "
        "and parentheses; product:windows category:process_creation; bare words search every field. "
        "See docs/hunting.md.",
        epilog="Exit codes: 0 no events matched, 1 events matched, 2 bad query or unusable store.",
    )
    env_option(parser, "query", env="GARRISON_HUNT_QUERY", nargs="?", metavar="QUERY",
               help="the hunting query (quote it for the shell)")
    add_read_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import time

    from garrison.errors import UsageError
    from garrison.hunt import hunt_query

    if not args.query:
        raise UsageError("no query given (usage: garrison hunt 'QUERY')")
    since, until, limit = read_window(args, now=time.time())
    query = hunt_query(args.query, since=since, until=until, limit=limit, order=args.order)
    store = open_existing(args)
    if store is None:
        print(f"garrison: no store at {args.db or 'the default location'} yet: nothing recorded",  # noqa: T201
              file=sys.stderr)
        return exit_codes.CLEAN
    try:
        shown = write_events(store.query_events(query), args.format)
    finally:
        store.close()
    if shown == 0:
        print("garrison: no events match", file=sys.stderr)  # noqa: T201
        return exit_codes.CLEAN
    return exit_codes.FINDINGS
