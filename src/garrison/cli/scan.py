"""``garrison scan``: discover or read servers, analyse them offline, compare with pins, report."""

from __future__ import annotations

import argparse
from typing import Any

from garrison.cli.args import env_option
from garrison.cli.common import add_lockfile_option, add_output_options, add_store_options
from garrison.cli.sources import add_source_options

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "scan",
        help="scan MCP servers for poisoning, shadowing, look-alikes, risky launch configs and drift",
        description="Connect to every configured MCP server (or read --input snapshots), analyse the whole "
        "surface offline, compare it with garrison.lock, and report. Launching a stdio server runs its code: "
        "use --no-launch for config-only analysis.",
        epilog="Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or config error, 3 incomplete.",
    )
    add_source_options(parser)
    add_output_options(parser, ("table", "json", "sarif"), "table")
    env_option(parser, "--fail-on", env="GARRISON_FAIL_ON", default="medium",
               choices=["info", "low", "medium", "high", "critical"],
               help="lowest severity that makes the exit code 1 (default medium)")
    env_option(parser, "--suppressions", env="GARRISON_SUPPRESSIONS", metavar="FILE",
               help="suppressions file (default: ./.garrison-suppressions.yaml when present)")
    add_lockfile_option(parser)
    add_store_options(parser)
    parser.set_defaults(handler=run)


def _suppressions(args: argparse.Namespace) -> list[Any]:
    from pathlib import Path

    from garrison.scanner.suppressions import DEFAULT_SUPPRESSIONS_FILE, load_suppressions

    path = args.suppressions or (DEFAULT_SUPPRESSIONS_FILE if Path(DEFAULT_SUPPRESSIONS_FILE).exists() else None)
    return load_suppressions(path) if path else []


def render(args: argparse.Namespace, outcome: Any) -> str:
    """The report in the requested format, as text."""
    import io

    import orjson

    if args.format == "json":
        from garrison.report.json_report import to_json

        data = to_json(outcome.result, outcome.drifts, suppressed=outcome.suppressed)
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    if args.format == "sarif":
        from garrison.pins import PIN_INFOS
        from garrison.report.sarif import to_sarif
        from garrison.scanner.registry import all_infos

        data = to_sarif(outcome.result, (*all_infos(), *PIN_INFOS))
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"
    from rich.console import Console

    from garrison.report.table import render_table

    if args.output:
        buffer = io.StringIO()
        render_table(outcome.result, outcome.drifts, Console(file=buffer, width=120, no_color=True))
        return buffer.getvalue()
    render_table(outcome.result, outcome.drifts, Console())
    return ""


def run(args: argparse.Namespace) -> int:
    import time
    from datetime import date

    from garrison.cli.common import load_lock, note, save_store, write_output
    from garrison.cli.sources import collect
    from garrison.errors import GarrisonError
    from garrison.model import Severity
    from garrison.report.outcome import exit_code
    from garrison.scanner.pipeline import evaluate

    started = time.time()
    suppressions = _suppressions(args)
    lock = load_lock(args.lockfile, required=False)
    collected = collect(args)
    if not collected.results and not collected.unread_configs:
        note("garrison: no MCP servers found in any client config on this machine "
             "(see 'garrison inventory'; 'garrison lab' shows the checks at work)")
    if lock is None and collected.results:
        note(f"garrison: no lockfile at {args.lockfile}: drift is not checked; 'garrison pin' pins these servers")
    outcome = evaluate(
        collected.results,
        lock=lock,
        suppressions=suppressions,
        today=date.today(),
        started=started,
        finished=time.time(),
        unread_configs=collected.unread_configs,
    )
    for warning in (*collected.unread_configs, *outcome.result.warnings):
        note(f"garrison: warning: {warning}")
    text = render(args, outcome)
    if text:
        write_output(args, text)
    code = exit_code(outcome.result, outcome.result.findings, Severity.parse(args.fail_on))
    source = ",".join(args.input) if args.input else "command" if args.command_argv else args.url or "config"
    try:
        save_store(args, result=outcome.result, source=source, drifts=outcome.drifts)
    except (GarrisonError, OSError) as err:
        note(f"garrison: error: could not record the scan in the store: {err} (use --no-store to skip)")
        return max(code, 2)
    return code
