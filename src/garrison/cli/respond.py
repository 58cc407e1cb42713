"""``garrison respond``: act on alerts, by hand or with a playbook. Destructive actions are a dry run unless
``--execute`` is given; every result is printed and, when the store exists, recorded as an event.

::

    garrison respond kill --pid 4242 [--seen-at EPOCH] [--execute]
    garrison respond block --server notes --tool export_notes [--execute]
    garrison respond quarantine --server notes [--execute]
    garrison respond revoke --server notes [--item tool:export_notes] [--execute]
    garrison respond notify --url https://hooks.example/x --alerts alerts.json
    garrison respond --playbook contain.yaml --alerts alerts.json [--events events.jsonl] [--execute]

Exit codes: 0 every action succeeded (or was planned), 2 bad input, 3 some action failed or was refused.
"""

from __future__ import annotations

import argparse
from typing import Any

from garrison.cli import exit_codes
from garrison.cli.alerts import add_source_options
from garrison.cli.args import env_option

__all__ = ["register", "run"]

ACTIONS = ("kill", "block", "quarantine", "revoke", "notify")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "respond", help="kill, block, quarantine, revoke or notify; by hand or with a playbook",
        description="Respond to alerts. Destructive actions (kill, block, quarantine, revoke) only say what they "
        "would do unless --execute is given.",
        epilog="Exit codes: 0 all actions succeeded or were planned, 2 bad input, 3 an action failed or was refused.")
    parser.add_argument("action", nargs="?", choices=ACTIONS, help="one action by hand (or use --playbook)")
    env_option(parser, "--playbook", env="GARRISON_PLAYBOOK", metavar="FILE",
               help="run this playbook file over the alerts")
    env_option(parser, "--execute", env="GARRISON_RESPOND_EXECUTE", action="store_true",
               help="carry out destructive actions (default: dry run)")
    env_option(parser, "--pid", env="GARRISON_RESPOND_PID", type=int, metavar="PID", help="kill: the root process")
    env_option(parser, "--seen-at", env="GARRISON_RESPOND_SEEN_AT", type=float, metavar="EPOCH",
               help="kill: when the process was seen; a process that started later is refused (pid reuse)")
    env_option(parser, "--server", env="GARRISON_RESPOND_SERVER", metavar="NAME", help="the MCP server")
    env_option(parser, "--tool", env="GARRISON_RESPOND_TOOL", metavar="NAME", help="block: the tool")
    env_option(parser, "--item", env="GARRISON_RESPOND_ITEM", metavar="REF",
               help="revoke: one item (kind:key or a tool name) instead of the whole server")
    env_option(parser, "--reason", env="GARRISON_RESPOND_REASON", default="blocked by hand", metavar="TEXT",
               help="block/quarantine: the reason the wrapper reports")
    env_option(parser, "--url", env="GARRISON_RESPOND_URL", metavar="URL", help="notify: the webhook")
    env_option(parser, "--blocklist", env="GARRISON_BLOCKLIST", default="garrison.blocklist.yaml", metavar="PATH",
               help="the managed block list that 'garrison wrap' reads (default garrison.blocklist.yaml)")
    env_option(parser, "--lockfile", env="GARRISON_LOCKFILE", default="garrison.lock", metavar="PATH",
               help="the pin lockfile for revoke (default garrison.lock)")
    env_option(parser, "--format", env="GARRISON_RESPOND_FORMAT", default="text", choices=("text", "json"),
               help="text for people (default) or json")
    add_source_options(parser)
    parser.set_defaults(handler=run)


def _need(value: Any, flag: str, action: str) -> Any:
    from garrison.errors import UsageError

    if value is None or value == "":
        raise UsageError(f"garrison respond {action}: {flag} is required")
    return value


def _by_hand(args: argparse.Namespace, responder: Any) -> list[Any]:
    from garrison.respond.kill import kill_tree
    from garrison.respond.pins import revoke_in_file
    from garrison.respond.webhook import check_url

    action = args.action
    if action == "kill":
        return [kill_tree(_need(args.pid, "--pid", action), seen_at=args.seen_at, execute=args.execute)]
    if action == "block":
        return [responder.block(_need(args.server, "--server", action), _need(args.tool, "--tool", action),
                                args.reason)]
    if action == "quarantine":
        return [responder.block(_need(args.server, "--server", action), None, args.reason)]
    if action == "revoke":
        return [revoke_in_file(_need(args.server, "--server", action), args.item, path=args.lockfile,
                               execute=args.execute)]
    from garrison.cli.alerts import collect
    from garrison.respond.playbook import ActionSpec
    from garrison.respond.run import run_action

    url = check_url(_need(args.url, "--url", action), where="--url")
    spec = ActionSpec("notify", {"url": url, "timeout": 5.0}, "--url")
    results = [run_action(spec, item, responder) for item in collect(args).assessed]
    return [r for r in results if r is not None]


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from garrison.cli.events import open_existing
    from garrison.errors import UsageError
    from garrison.respond.results import result_event
    from garrison.respond.run import Responder, respond

    if bool(args.action) == bool(args.playbook):
        raise UsageError("garrison respond: give one ACTION or --playbook FILE")
    responder = Responder(execute=args.execute, blocklist_path=args.blocklist, lockfile_path=args.lockfile)
    if args.playbook:
        from garrison.cli.alerts import collect
        from garrison.respond.playbook import load_playbooks

        playbooks = load_playbooks(args.playbook)
        collected = collect(args)
        for problem in collected.problems:
            print(f"garrison: unreadable: {problem}", file=sys.stderr)  # noqa: T201
        results = respond(collected.assessed, playbooks, responder)
    else:
        results = _by_hand(args, responder)
    if args.format == "json":
        sys.stdout.write(json.dumps({"results": [r.to_json() for r in results]}, indent=2) + "\n")
    else:
        for result in results:
            print(result.line())  # noqa: T201
    store = open_existing(args) if results else None
    if store is not None:
        try:
            store.append_events([result_event(r) for r in results])
        finally:
            store.close()
    if not args.execute and any(r.action != "notify" for r in results):
        print("garrison: dry run; add --execute to act", file=sys.stderr)  # noqa: T201
    return exit_codes.CLEAN if all(r.ok for r in results) else exit_codes.INCOMPLETE
