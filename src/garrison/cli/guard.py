"""``garrison guard``: judge tool outputs and call arguments from a JSONL file (or stdin), offline.

Input lines are ``{"id", "text"}`` with optional ``"tool"``, ``"direction"`` (``"output"``, the default, or
``"arguments"``) and ``"arguments"`` (the object, for ``"arguments"`` rows). Output is one JSON object per
input line, ``{"id", "verdict", "findings": [...]}`` (plus ``"redacted"`` when secrets were masked), or a
table. A line that cannot be judged becomes ``{"id", "line", "verdict": "error", "error"}``: never dropped,
never ``allow``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import IO, Any

from garrison.cli.args import env_option

__all__ = ["judge_line", "register", "run"]

_DIRECTIONS = ("output", "arguments")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "guard",
        help="judge tool outputs and call arguments (injected instructions, hidden text, secrets)",
        description="Read JSONL records {id, text[, tool, direction, arguments]} and print a verdict per "
        "record: allow, flag or block, with findings. Nothing leaves the machine.",
        epilog="Exit codes: 0 all allowed, 1 something flagged or blocked, 2 usage error, "
        "3 a line could not be judged.",
    )
    env_option(parser, "--input", "-i", env="GARRISON_GUARD_INPUT", metavar="FILE",
               help="JSONL file to judge ('-' for stdin)")
    env_option(parser, "--format", "-f", env="GARRISON_GUARD_FORMAT", default="json", choices=["json", "table"],
               help="output format (default json: one object per input line)")
    env_option(parser, "--max-chars", env="GARRISON_GUARD_MAX_CHARS", type=int, default=1_000_000,
               metavar="N", help="judge at most N characters of a text; longer texts are flagged")
    parser.set_defaults(handler=run)


def judge_line(line: str, number: int, *, max_chars: int) -> dict[str, Any]:
    """The result object for one input line (an ``error`` object when the line cannot be judged)."""
    import orjson

    from garrison.analysis.guard import GuardPolicy, judge

    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as err:
        return _error(None, number, f"not valid JSON ({err})")
    if not isinstance(record, dict):
        return _error(None, number, "a record must be a JSON object")
    rid = record.get("id")
    if not isinstance(rid, str | int) or isinstance(rid, bool):
        return _error(None, number, "'id' must be a string or an integer")
    text = record.get("text")
    tool = record.get("tool")
    direction = record.get("direction", "output")
    arguments = record.get("arguments")
    if not isinstance(text, str):
        return _error(rid, number, "'text' must be a string")
    if tool is not None and not isinstance(tool, str):
        return _error(rid, number, "'tool' must be a string or null")
    if direction not in _DIRECTIONS:
        return _error(rid, number, f"'direction' must be one of {', '.join(_DIRECTIONS)}")
    if arguments is not None and not isinstance(arguments, dict):
        return _error(rid, number, "'arguments' must be an object")
    verdict = judge(text, direction=direction, tool=tool, arguments=arguments,
                    policy=GuardPolicy(max_chars=max_chars))
    out: dict[str, Any] = {
        "id": rid,
        "verdict": verdict.verdict,
        "findings": [f.to_json() for f in verdict.findings],
    }
    if verdict.redacted is not None:
        out["redacted"] = verdict.redacted
    return out


def _error(rid: str | int | None, number: int, message: str) -> dict[str, Any]:
    return {"id": rid, "line": number, "verdict": "error", "error": f"line {number}: {message}"}


def _lines(stream: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


def _table(results: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="garrison guard")
    for column in ("id", "verdict", "rules", "detail"):
        table.add_column(column)
    styles = {"allow": "green", "flag": "yellow", "block": "red", "error": "magenta"}
    for r in results:
        findings = r.get("findings", [])
        rules = ", ".join(f["rule"] for f in findings)
        detail = r.get("error") or (findings[0]["message"] if findings else "")
        rid = "-" if r["id"] is None else str(r["id"])
        table.add_row(rid, f"[{styles[r['verdict']]}]{r['verdict']}[/]", rules, detail)
    Console().print(table)


def run(args: argparse.Namespace) -> int:
    import orjson

    from garrison.cli import exit_codes
    from garrison.cli.common import note
    from garrison.errors import UsageError

    if not args.input:
        raise UsageError("--input FILE is required ('-' reads stdin)")
    if args.max_chars < 1:
        raise UsageError("--max-chars must be at least 1")
    try:
        stream: IO[str] = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot read input: {err.strerror}", where=args.input) from None
    where = "<stdin>" if args.input == "-" else args.input
    counts = {"allow": 0, "flag": 0, "block": 0, "error": 0}
    results: list[dict[str, Any]] = []
    try:
        for number, line in _lines(stream):
            result = judge_line(line, number, max_chars=args.max_chars)
            counts[result["verdict"]] += 1
            if result["verdict"] == "error":
                note(f"garrison: {where}:{number}: {result['error'].partition(': ')[2]}")
            if args.format == "json":
                sys.stdout.write(orjson.dumps(result).decode() + "\n")
            else:
                results.append(result)
    except UnicodeDecodeError as err:
        note(f"garrison: {where}: input is not UTF-8 ({err.reason}); the rest was not judged")
        counts["error"] += 1
    finally:
        if stream is not sys.stdin:
            stream.close()
    if args.format == "table":
        _table(results)
    note(f"garrison guard: {sum(counts.values())} record(s): {counts['allow']} allowed, {counts['flag']} flagged, "
         f"{counts['block']} blocked, {counts['error']} not judged")
    if counts["error"]:
        return exit_codes.INCOMPLETE
    if counts["flag"] or counts["block"]:
        return exit_codes.FINDINGS
    return exit_codes.CLEAN
