"""``garrison inventory``: list every MCP server configured on this machine. Nothing is launched or contacted.

Exit codes: 0 every config file was read; 3 some config file could not be read (its servers are missing from
the list, which is printed anyway); 2 usage error.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from garrison.cli import exit_codes
from garrison.cli.args import env_option

__all__ = ["register", "run"]

FORMATS = ("table", "json")




def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "inventory",
        help="list the MCP servers configured in every client (nothing is launched)",
        description="List every MCP server configured in the MCP clients on this machine, from their config "
        "files. Nothing is launched or contacted; secrets are masked.",
        epilog="Exit codes: 0 all configs read, 2 usage error, 3 some config could not be read.",
    )
    env_option(parser, "--format", env="GARRISON_FORMAT", default="table", choices=FORMATS,
               help="output format (default table)")
    env_option(parser, "--client", env_separator=",", env="GARRISON_CLIENT", action="append", metavar="CLIENT",
               help="only this client (repeatable or comma-separated), e.g. cursor, claude-code, vscode")
    env_option(parser, "--project", env_separator=os.pathsep, env="GARRISON_PROJECT", action="append", metavar="DIR",
               help="read project-level configs in DIR (repeatable; default: the current directory)")
    parser.set_defaults(handler=run)


def _as_list(value: Any, sep: str) -> list[str]:
    """A repeatable option's value: a list from the command line, a ``sep``-separated string from the env."""
    if value is None:
        return []
    items = value.split(sep) if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item and item.strip()]


def _print_table(result: Any, stream: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from garrison.discovery.view import launch_summary

    table = Table(show_lines=False, expand=False)
    for column in ("Client", "Server", "Transport", "Launch", "Scope", "Config"):
        table.add_column(column, overflow="fold")
    for spec in result.servers:
        name = f"{spec.name} (disabled)" if spec.disabled else spec.name
        table.add_row(spec.client or "", name, spec.transport, launch_summary(spec), spec.scope or "",
                      spec.config_path or "")
    Console(file=stream, soft_wrap=False).print(table)


def run(args: argparse.Namespace) -> int:
    import os
    import sys
    from pathlib import Path

    from garrison.discovery import default_home, discover
    from garrison.errors import UsageError

    if args.format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {args.format!r}")
    environ = os.environ
    cwd = Path.cwd()
    projects = [Path(p) for p in _as_list(args.project, os.pathsep)]
    clients = _as_list(args.client, ",") or None
    result = discover(home=default_home(environ), environ=environ, cwd=cwd, project_dirs=projects,
                      clients=clients)
    if args.format == "json":
        import orjson

        from garrison.discovery.view import inventory_to_json

        sys.stdout.write(orjson.dumps(inventory_to_json(result), option=orjson.OPT_INDENT_2).decode() + "\n")
    elif result.servers:
        _print_table(result, sys.stdout)
    for err in result.errors:
        print(f"garrison: could not read client config {err}", file=sys.stderr)  # noqa: T201
    print(f"garrison: {len(result.servers)} server(s) in {len(result.files_read)} config file(s)"  # noqa: T201
          + (f", {len(result.errors)} unreadable" if result.errors else ""), file=sys.stderr)
    return exit_codes.INCOMPLETE if result.errors else exit_codes.CLEAN
