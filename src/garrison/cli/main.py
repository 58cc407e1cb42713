"""``garrison`` entry point. Subcommands live in sibling modules, each with ``register(subparsers)``; a
module's heavy imports happen inside its handler so that start-up stays fast."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from garrison import __version__
from garrison.cli import exit_codes

__all__ = ["main"]

COMMAND_MODULES: tuple[str, ...] = (
    "scan",
    "snapshot",
    "pin",
    "lab",
    "inventory",
    "wrap",
    "gateway",
    "install",
    "detect",
    "rules",
    "guard",
    "watch",
    "events", "hunt", "audit", "alerts", "storyline", "respond",
)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="garrison",
        description="Offline-first security for MCP: scan, pin, guard, detect.",
        epilog="Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or config error, 3 incomplete.",
    )
    parser.add_argument("--version", action="version", version=f"garrison {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"garrison.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["--version"]:
        print(f"garrison {__version__}")  # noqa: T201 - data to stdout
        return exit_codes.CLEAN
    parser = build_parser()
    # Everything after the first "--" is a server command line ("garrison scan -- npx server"), handed to
    # commands that take one as ``command_argv``; other commands see the full list.
    if "--" in args_list:
        cut = args_list.index("--")
        tail = args_list[cut + 1:]
        args = parser.parse_args(args_list[:cut])
        if hasattr(args, "command_argv"):
            args.command_argv = tail
        else:
            args = parser.parse_args(args_list)
    else:
        args = parser.parse_args(args_list)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return exit_codes.USAGE
    import logging
    import os

    from garrison.errors import GarrisonError

    if not os.environ.get("GARRISON_DEBUG"):
        # The SDK logs transport failures with tracebacks; Garrison reports them itself, once, per server.
        for name in ("mcp", "httpx", "httpx2"):
            logging.getLogger(name).addHandler(logging.NullHandler())
            logging.getLogger(name).propagate = False

    try:
        return handler(args)
    except GarrisonError as err:
        print(f"garrison: error: {err}", file=sys.stderr)  # noqa: T201
        return err.exit_code
    except KeyboardInterrupt:
        print("garrison: interrupted", file=sys.stderr)  # noqa: T201
        return exit_codes.INCOMPLETE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
