"""``garrison rules``: check and list Sigma rules.

``garrison rules check PATH...`` loads every rule under the paths (folders recursively) and prints
``{"loaded": N, "failed": [{"path", "reason"}]}``. ``garrison rules list`` shows the built-in pack (or PATHs).

Exit codes: 0 every rule loaded, 2 some rule failed to load (or usage error).
"""

from __future__ import annotations

import argparse
from typing import Any

from garrison.cli import exit_codes
from garrison.cli.args import env_option

__all__ = ["register", "run"]

FORMATS = ("text", "json")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "rules",
        help="check or list Sigma detection rules",
        description="Check that Sigma rules load and compile, or list them with their ATT&CK techniques.",
        epilog="Exit codes: 0 all rules loaded, 2 some rule failed to load or usage error.",
    )
    sub = parser.add_subparsers(dest="rules_command", metavar="ACTION")
    for name, help_text in (("check", "load every rule under PATH and report failures"),
                            ("list", "list rules (default: the built-in pack)")):
        action = sub.add_parser(name, help=help_text, description=help_text)
        action.add_argument("paths", nargs="*", metavar="PATH", help="rule files or folders")
        env_option(action, "--format", env="GARRISON_FORMAT", default="text", choices=FORMATS,
                   help="output format (default text)")
        action.set_defaults(handler=run, rules_command=name)
    parser.set_defaults(handler=run, rules_command=None)


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from garrison.errors import UsageError
    from garrison.events.rulefiles import builtin_rules_dir, load_rule_paths

    if args.rules_command is None:
        raise UsageError("garrison rules: choose an action: check PATH... | list [PATH...]")
    if args.format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {args.format!r}")
    if args.rules_command == "check" and not args.paths:
        raise UsageError("garrison rules check: give at least one rule file or folder")
    paths = [Path(p) for p in args.paths] or [builtin_rules_dir()]
    load = load_rule_paths(paths)
    if args.rules_command == "check":
        if args.format == "json":
            print(json.dumps({"loaded": load.loaded, "failed": [f.to_json() for f in load.failures]},  # noqa: T201
                             indent=2))
        else:
            for failure in load.failures:
                print(f"{failure.path}: {failure.reason}")  # noqa: T201
            print(f"{load.loaded} loaded, {len(load.failures)} failed", file=sys.stderr)  # noqa: T201
    else:
        rows: list[dict[str, Any]] = [{"id": c.rule.id, "title": c.rule.title, "level": c.rule.level.label,
                 "logsource": {k: v for k, v in (("product", c.rule.logsource.product),
                                                  ("category", c.rule.logsource.category),
                                                  ("service", c.rule.logsource.service)) if v},
                 "attack": list(c.rule.techniques), "path": c.rule.where} for c in load.rules]
        if args.format == "json":
            print(json.dumps(rows, indent=2))  # noqa: T201
        else:
            for row in rows:
                source = "/".join(row["logsource"].values())
                print(f"{row['id']}  {row['level']:<8} {source:<32} {','.join(row['attack']) or '-':<22} "  # noqa: T201
                      f"{row['title']}")
        for failure in load.failures:
            print(f"garrison: rule not loaded: {failure.path}: {failure.reason}", file=sys.stderr)  # noqa: T201
    return exit_codes.USAGE if load.failures else exit_codes.CLEAN
