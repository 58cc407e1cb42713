"""``garrison storyline ID``: the chain behind one alert, as a terminal tree (or JSON for a console graph).

The alert is looked up among the alerts of the same sources ``garrison alerts`` reads (``--alerts``,
``--events``, or the store); ``ID`` is the id ``garrison alerts`` prints, or a unique prefix of it.

Exit codes: 0 printed, 2 no such alert or bad input.
"""

from __future__ import annotations

import argparse
from typing import Any

from garrison.cli import exit_codes
from garrison.cli.alerts import add_source_options
from garrison.cli.args import env_option

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "storyline", help="show the chain of activity behind an alert",
        description="Show how an alert came about: client, MCP server, tool call, process tree, files and "
        "connections.", epilog="Exit codes: 0 shown, 2 no such alert or bad input.")
    parser.add_argument("id", metavar="ID", help="alert id (or a unique prefix) as 'garrison alerts' prints it")
    add_source_options(parser)
    env_option(parser, "--format", env="GARRISON_STORYLINE_FORMAT", default="tree", choices=("tree", "json"),
               help="tree for people (default) or json (nodes and edges for a graph)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from garrison.cli.alerts import collect
    from garrison.detect.storyline import render_tree
    from garrison.errors import UsageError

    collected = collect(args)
    wanted = str(args.id).strip()
    found = [a for a in collected.assessed if a.id.startswith(wanted)] if wanted else []
    if not found:
        raise UsageError(f"no alert with id {wanted!r} ({len(collected.assessed)} alert(s) in the input)")
    if len({a.id for a in found}) > 1:
        raise UsageError(f"id {wanted!r} is ambiguous: {', '.join(sorted({a.id for a in found}))}")
    item = found[0]
    if args.format == "json":
        out = {"alert": item.to_json()}
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    else:
        print(f"{item.id}  {item.alert.title}  priority {item.priority.level} ({item.priority.score})")  # noqa: T201
        print(render_tree(item.storyline))  # noqa: T201
        print()  # noqa: T201
        print(item.summary)  # noqa: T201
        for reason in item.priority.reasons:
            print(f"  +{reason.points:<3} {reason.why}")  # noqa: T201
    return exit_codes.CLEAN
