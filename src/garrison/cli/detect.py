"""``garrison detect``: run Sigma rules over event files and print the alerts.

Rules: the built-in pack, plus every ``--rules`` file or folder (SigmaHQ folders work unchanged). Events:
Sysmon / Windows Security / PowerShell records (EVTX-as-JSON or flat JSON lines), raw or parsed auditd logs,
and Garrison's own JSON lines. Each alert carries its ``storyline`` (nodes and edges, see
:mod:`garrison.detect.storyline`); ``--playbook`` runs response playbooks over the alerts (``responses``).

Exit codes: 1 alerts; 0 none; 2 bad input (missing file, a rule that does not load); 3 no alerts but some
lines could not be read (each is named on stderr).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from garrison.cli import exit_codes
from garrison.cli.args import env_option

__all__ = ["register", "run"]

FORMATS = ("json", "text")
TUNE_THRESHOLD = 20_000
"""From this many events on, the engine first learns literal frequencies from a sample (results unchanged)."""
TUNE_SAMPLE = 2_000




def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "detect",
        help="run Sigma detection rules over event files",
        description="Run the built-in Sigma rule pack (and any --rules) over event files; print one alert per "
        "matching rule and event, with its ATT&CK techniques and tactics.",
        epilog="Exit codes: 0 no alerts, 1 alerts, 2 bad input or a rule that does not load, "
        "3 no alerts but unreadable lines.",
    )
    env_option(parser, "--events", env_separator=os.pathsep, env="GARRISON_EVENTS", action="append", metavar="FILE",
               help=f"event file (repeatable; in the env, separate with {os.pathsep!r})")
    env_option(parser, "--rules", env_separator=os.pathsep, env="GARRISON_RULES", action="append", metavar="PATH",
               help=f"extra Sigma rule file or folder (repeatable; in the env, separate with {os.pathsep!r})")
    env_option(parser, "--no-builtin", env="GARRISON_NO_BUILTIN", action="store_true",
               help="do not load the built-in rule pack")
    env_option(parser, "--unsafe-skip-bad-rules", env="GARRISON_UNSAFE_SKIP_BAD_RULES", action="store_true",
               help="run the rules that load even when others fail (they are listed on stderr)")
    env_option(parser, "--format", env="GARRISON_FORMAT", default="json", choices=FORMATS,
               help="output format (default json)")
    env_option(parser, "--playbook", env="GARRISON_PLAYBOOK", metavar="FILE",
               help="run this response playbook over the alerts (see 'garrison respond')")
    env_option(parser, "--execute", env="GARRISON_RESPOND_EXECUTE", action="store_true",
               help="with --playbook: carry out destructive actions (default: dry run)")
    parser.set_defaults(handler=run)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value.split(os.pathsep) if isinstance(value, str) else list(value)
    return [item for item in items if item]


def _text_line(alert: Any) -> str:
    where = ", ".join(str(e.id) for e in alert.events if e.id)
    attack = ",".join(alert.techniques) or "-"
    return f"{alert.severity.label:<8} {attack:<20} {alert.title}  [{alert.rule}]  {where}"


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from garrison.detect import Alert, Engine
    from garrison.errors import RuleError, UsageError
    from garrison.events.reader import ReadProblem, read_events
    from garrison.events.rulefiles import builtin_rules_dir, load_rule_paths

    if args.format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {args.format!r}")
    event_files = [Path(p) for p in _as_list(args.events)]
    if not event_files:
        raise UsageError("garrison detect: give at least one --events FILE")
    rule_paths = ([] if args.no_builtin else [builtin_rules_dir()]) + [Path(p) for p in _as_list(args.rules)]
    if not rule_paths:
        raise UsageError("garrison detect: no rules (--no-builtin without --rules)")
    load = load_rule_paths(rule_paths)
    for failure in load.failures:
        print(f"garrison: rule not loaded: {failure.path}: {failure.reason}", file=sys.stderr)  # noqa: T201
    if load.failures and not args.unsafe_skip_bad_rules:
        raise RuleError(f"{len(load.failures)} rule(s) did not load (see above; "
                        "--unsafe-skip-bad-rules runs the others)")
    engine = Engine(load.rules, correlations=load.correlations)
    alerts: list[Alert] = []
    problems: list[ReadProblem] = []
    reads = [read_events(path) for path in event_files]
    events = [event for read in reads for event in read.events]
    if load.correlations:
        events.sort(key=lambda event: event.time)
    if len(events) >= TUNE_THRESHOLD:
        engine.tune(events[:: max(1, len(events) // TUNE_SAMPLE)])
    for read in reads:
        problems.extend(read.problems)
    alerts.extend(engine.run(events))
    alerts, responses = _with_storylines(alerts, events, args)
    for problem in problems:
        print(f"garrison: unreadable: {problem.where}: {problem.reason}", file=sys.stderr)  # noqa: T201
    if args.format == "json":
        out = {"alerts": [a.to_json() for a in alerts], "problems": [p.to_json() for p in problems]}
        if args.playbook:
            out["responses"] = [r.to_json() for r in responses]
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    else:
        for alert in alerts:
            print(_text_line(alert))  # noqa: T201
    if args.format != "json":
        for result in responses:
            print(result.line(), file=sys.stderr)  # noqa: T201
    print(f"{len(alerts)} alert(s) from {load.loaded} rules; {len(problems)} unreadable line(s)",  # noqa: T201
          file=sys.stderr)
    if alerts:
        return exit_codes.FINDINGS
    return exit_codes.INCOMPLETE if problems else exit_codes.CLEAN


def _with_storylines(alerts: list[Any], events: list[Any], args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    """Alerts with their storyline filled in, and what a ``--playbook`` did about them."""
    from dataclasses import replace

    from garrison.detect.storyline import StorylineBuilder
    from garrison.respond.run import Responder, assess, respond

    builder = StorylineBuilder(events)
    if not args.playbook:
        return [replace(alert, storyline=builder.build(alert).to_json()) for alert in alerts], []
    from garrison.respond.playbook import load_playbooks

    playbooks = load_playbooks(args.playbook)
    assessed = [assess(alert, builder) for alert in alerts]
    filled = [replace(a.alert, storyline=a.storyline.to_json()) for a in assessed]
    return filled, respond(assessed, playbooks, Responder(execute=args.execute))
