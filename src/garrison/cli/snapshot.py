"""``garrison snapshot -o FILE``: save the surfaces of servers for offline scans (``scan --input FILE``)."""

from __future__ import annotations

import argparse
from typing import Any

from garrison.cli.args import env_option
from garrison.cli.sources import add_source_options

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "snapshot",
        help="save the servers' surfaces (tools, prompts, resources, instructions) to a JSON file",
        description="Connect to the servers and save what they expose, in the snapshot format that "
        "'garrison scan --input' reads. Secret values of the launch config (env, headers) are masked.",
    )
    add_source_options(parser)
    env_option(parser, "--output", "-o", env="GARRISON_OUTPUT", metavar="FILE",
               help="write the snapshot to FILE (default: stdout)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import orjson

    from garrison.cli import exit_codes
    from garrison.cli.common import note, ok_snapshots, write_output
    from garrison.cli.sources import collect
    from garrison.model import snapshots_to_json

    collected = collect(args)
    results = ok_snapshots(collected.results)
    failed = [r for r in collected.results if r.status in ("error", "timeout")]
    for r in failed:
        note(f"garrison: {r.name}: {r.status}: {r.error}")
    for unread in collected.unread_configs:
        note(f"garrison: warning: {unread}")
    doc = snapshots_to_json([r.snapshot for r in results if r.snapshot is not None])
    args.format = "json"
    write_output(args, orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
    note(f"garrison: saved {len(results)} server(s)" + (f" to {args.output}" if args.output else ""))
    return exit_codes.INCOMPLETE if failed or collected.unread_configs else exit_codes.CLEAN
