"""``garrison alerts``: alerts with their priority and summary, highest priority first.

Alerts come from ``--alerts FILE`` (the JSON ``garrison detect`` prints), from running the rules over
``--events FILE``, or, with neither, from running the rules over the events in the store (``--since``,
default the last 24 hours). The same sources feed ``garrison storyline`` and ``garrison respond``.

Exit codes: 0 no alerts, 1 alerts, 2 bad input, 3 no alerts but some input could not be read.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from garrison.cli import exit_codes
from garrison.cli.args import env_option

if TYPE_CHECKING:
    from garrison.model import Event
    from garrison.respond.run import Assessed

__all__ = ["Collected", "add_source_options", "collect", "register", "run"]

MAX_STORE_EVENTS = 1_000_000
"""Events read from the store per run; past this the run is incomplete (narrow ``--since``)."""
DEFAULT_SINCE = "24h"


class _Append(argparse.Action):
    """``append`` whose first command-line use replaces a default taken from the environment."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        seen = f"_{self.dest}_from_cli"
        items = getattr(namespace, self.dest, None) if getattr(namespace, seen, False) else None
        setattr(namespace, self.dest, [*(items or []), values])
        setattr(namespace, seen, True)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value.split(os.pathsep) if isinstance(value, str) else list(value)
    return [item for item in items if item]


def add_source_options(parser: argparse.ArgumentParser) -> None:
    sep = repr(os.pathsep)
    env_option(parser, "--alerts", env="GARRISON_ALERTS", metavar="FILE",
               help="alerts as printed by 'garrison detect' (JSON)")
    env_option(parser, "--events", env="GARRISON_EVENTS", action=_Append, metavar="FILE",
               help=f"event file to run the rules over, or context for --alerts (repeatable; env: {sep}-separated)")
    env_option(parser, "--rules", env="GARRISON_RULES", action=_Append, metavar="PATH",
               help=f"extra Sigma rule file or folder (repeatable; env: {sep}-separated)")
    env_option(parser, "--no-builtin", env="GARRISON_NO_BUILTIN", action="store_true",
               help="do not load the built-in rule pack")
    env_option(parser, "--db", env="GARRISON_DB", metavar="PATH",
               help="the Garrison store, read when neither --alerts nor --events is given")
    env_option(parser, "--since", env="GARRISON_ALERTS_SINCE", default=DEFAULT_SINCE, metavar="TIME",
               help=f"store events at or after TIME: 15m, 1h, 7d, ISO 8601 or epoch (default {DEFAULT_SINCE})")


@dataclass(slots=True)
class Collected:
    assessed: list[Assessed]
    events: list[Event]
    problems: list[str] = field(default_factory=list)


def _alerts_from_json(path: str) -> list[Any]:
    import json

    from garrison.detect import Alert
    from garrison.errors import ConfigError
    from garrison.events.reader import native_event
    from garrison.model import Severity

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as err:
        raise ConfigError(f"cannot read alerts: {err.strerror or err}", where=path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"alerts file is not JSON: {err}", where=path) from None
    items = data.get("alerts") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigError("expected {\"alerts\": [...]} as printed by 'garrison detect'", where=path)
    out = []
    for i, item in enumerate(items):
        where = f"{path}: alerts[{i}]"
        try:
            events = tuple(native_event(e, where=f"{where}.events[{j}]") for j, e in enumerate(item["events"]))
            out.append(Alert(str(item["rule"]), str(item["title"]), Severity.parse(item["severity"]),
                             tuple(map(str, item.get("attack", ()))), tuple(map(str, item.get("tactics", ()))),
                             events))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ConfigError(f"not an alert as 'garrison detect' prints it: {err}", where=where) from None
    return out


def _store_events(args: argparse.Namespace, problems: list[str]) -> list[Event]:
    import time

    from garrison.cli.events import open_existing
    from garrison.errors import UsageError
    from garrison.hunt import parse_time
    from garrison.store.events import EventQuery

    store = open_existing(args)
    if store is None:
        raise UsageError("no store yet: give --alerts FILE or --events FILE (or record events first)")
    since = parse_time(str(args.since), now=time.time(), where="--since")
    try:
        events = list(store.query_events(EventQuery(since=since, limit=MAX_STORE_EVENTS + 1)))
    finally:
        store.close()
    if len(events) > MAX_STORE_EVENTS:
        problems.append(f"store: more than {MAX_STORE_EVENTS} events since {args.since}; only the first were read")
        events = events[:MAX_STORE_EVENTS]
    return events


def collect(args: argparse.Namespace) -> Collected:
    """Alerts (assessed) and the events around them, from whichever source the options name."""
    from pathlib import Path

    from garrison.detect import Engine
    from garrison.errors import RuleError, UsageError
    from garrison.events.reader import read_events
    from garrison.events.rulefiles import builtin_rules_dir, load_rule_paths
    from garrison.respond.run import assess_all

    problems: list[str] = []
    events: list[Event] = []
    for path in _as_list(args.events):
        read = read_events(Path(path))
        events.extend(read.events)
        problems.extend(f"{p.where}: {p.reason}" for p in read.problems)
    if args.alerts:
        alerts = _alerts_from_json(args.alerts)
        return Collected(assess_all(alerts, events), events, problems)
    if not _as_list(args.events):
        events = _store_events(args, problems)
    rule_paths = ([] if args.no_builtin else [builtin_rules_dir()]) + [Path(p) for p in _as_list(args.rules)]
    if not rule_paths:
        raise UsageError("no rules (--no-builtin without --rules)")
    load = load_rule_paths(rule_paths)
    if load.failures:
        first = load.failures[0]
        raise RuleError(f"{len(load.failures)} rule(s) did not load; first: {first.reason}", where=str(first.path))
    events.sort(key=lambda e: e.time)
    found = list(Engine(load.rules, correlations=load.correlations).run(events))
    return Collected(assess_all(found, events), events, problems)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "alerts", help="list alerts by priority, with a plain-language summary",
        description="List alerts highest priority first, each with its score, the reasons for it and a summary.",
        epilog="Exit codes: 0 no alerts, 1 alerts, 2 bad input, 3 no alerts but unreadable input.")
    add_source_options(parser)
    env_option(parser, "--format", env="GARRISON_ALERTS_FORMAT", default="text", choices=("text", "json"),
               help="text for people (default) or json")
    parser.set_defaults(handler=run)


def _line(item: Assessed) -> str:
    where = item.server or "-"
    if item.tool:
        where += f"/{item.tool}"
    return (f"{item.priority.score:>3} {item.priority.level:<8} {item.id}  {item.alert.severity.label:<8} "
            f"{item.alert.title}  [{where}]")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    collected = collect(args)
    for problem in collected.problems:
        print(f"garrison: unreadable: {problem}", file=sys.stderr)  # noqa: T201
    if args.format == "json":
        out = {"alerts": [a.to_json() for a in collected.assessed], "problems": collected.problems}
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    else:
        for item in collected.assessed:
            print(_line(item))  # noqa: T201
            print(f"    {item.summary}")  # noqa: T201
    print(f"{len(collected.assessed)} alert(s)", file=sys.stderr)  # noqa: T201
    if collected.assessed:
        return exit_codes.FINDINGS
    return exit_codes.INCOMPLETE if collected.problems else exit_codes.CLEAN
