"""``garrison lab``: run the shipped malicious MCP servers against Garrison and show what was caught."""

from __future__ import annotations

import argparse
from typing import Any

from garrison.cli.args import env_option

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "lab",
        help="run the attack lab: malicious MCP servers and their honest twins, and what Garrison catches",
        description="Each scenario launches deliberately malicious MCP servers shipped with Garrison (they never "
        "touch your files or the network), scans them, and scans their honest twins. Exit 0 when every attack "
        "is caught and every twin is clean, 1 otherwise, 3 when a lab server could not be run.",
    )
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="run only these scenarios")
    env_option(parser, "--format", "-f", env="GARRISON_FORMAT", default="table", choices=["table", "json"],
               help="output format (default table)")
    env_option(parser, "--timeout", env="GARRISON_TIMEOUT", type=float, default=60.0, metavar="SECONDS",
               help="per-server time limit (default 60)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import sys

    import orjson

    from garrison.cli import exit_codes
    from garrison.errors import UsageError
    from garrison.lab.scenarios import SCENARIOS, run_scenarios

    if args.list:
        for s in SCENARIOS:
            print(f"{s.id:24} {s.title}")  # noqa: T201
        return exit_codes.CLEAN
    known = {s.id: s for s in SCENARIOS}
    unknown = [name for name in args.scenarios if name not in known]
    if unknown:
        raise UsageError(f"unknown scenario(s) {', '.join(unknown)} (see 'garrison lab --list')")
    chosen = [known[name] for name in args.scenarios] or list(SCENARIOS)
    if args.format == "table":
        print(f"garrison lab: running {len(chosen)} scenario(s)…", file=sys.stderr)  # noqa: T201
    results = run_scenarios(chosen, timeout=args.timeout)
    if args.format == "json":
        doc = {"scenarios": [{
            "id": r.scenario.id, "title": r.scenario.title, "passed": r.passed, "caught_by": list(r.caught_by),
            "benign_findings": [f.to_json() for f in r.benign_findings], "errors": list(r.errors),
        } for r in results]}
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title="Garrison attack lab")
        for column in ("scenario", "attack", "caught by", "honest twin", "result"):
            table.add_column(column)
        for r in results:
            twin = "clean" if not r.benign_findings else ", ".join(sorted({f.rule for f in r.benign_findings}))
            verdict = "[green]PASS[/]" if r.passed else "[red]FAIL[/]"
            table.add_row(r.scenario.id, r.scenario.title, ", ".join(r.caught_by) or "[red]missed[/]", twin,
                          verdict)
        console = Console()
        console.print(table)
        for r in results:
            for e in r.errors:
                console.print(f"[red]error[/] {r.scenario.id}: {e}", markup=True, highlight=False)
    if any(r.errors for r in results):
        return exit_codes.INCOMPLETE
    return exit_codes.CLEAN if all(r.passed for r in results) else exit_codes.FINDINGS
