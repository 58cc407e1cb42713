"""``garrison wrap [OPTIONS] -- COMMAND [ARGS…]``: run an MCP stdio server behind the gateway relay.

Put it in the client's MCP config in place of the server's command. stdout carries only JSON-RPC; notices
go to stderr. Exit status: 0 when the client hung up, 3 when the server ended first or could not start,
2 for usage or configuration errors (an unreadable policy, a bad option).

Protections (all on by default; see :mod:`garrison.gateway.chain`): pins from the lockfile, the content
guard, the policy (``--policy``, default ``./garrison.yaml`` when present) with approval by elicitation, and
the audit trail in the store (``--db``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from garrison.cli.args import env_option

if TYPE_CHECKING:
    from garrison.gateway.audit_sink import AuditWriter
    from garrison.model import Event
    from garrison.policy import Policy
    from garrison.sensors import Watcher
    from garrison.store import Store

__all__ = ["register", "run"]

UNPINNED_MODES = ("pin-on-first-use", "block")

def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "wrap",
        help="run an MCP stdio server behind the Garrison gateway",
        description="Relay an MCP stdio server with pins, a content guard, the policy (asking a person when it "
        "says ask), an audit trail, size limits, timeouts, a tool deny-list and description sanitising. Use it as "
        "the command in the client's MCP config: garrison wrap --name NAME -- COMMAND ARGS...",
        epilog="Exit codes: 0 the client hung up, 2 usage or configuration error, 3 the server ended first or "
        "did not start.",
    )
    env_option(parser, "--name", env="GARRISON_WRAP_NAME", metavar="NAME",
               help="server name used in notices, errors and call records (default: the command's file name)")
    env_option(parser, "--deny-tools", env="GARRISON_WRAP_DENY_TOOLS", metavar="NAME[,NAME...]", default="",
               help="comma-separated tool names to refuse at tools/call and hide from tools/list")
    env_option(parser, "--events", env="GARRISON_WRAP_EVENTS", metavar="PATH",
               help="append one JSON line per request (call records, argument values redacted) to PATH")
    env_option(parser, "--max-frame-bytes", env="GARRISON_WRAP_MAX_FRAME_BYTES", type=int, metavar="BYTES",
               help="largest JSON-RPC message relayed, in bytes (default: 16 MiB)")
    env_option(parser, "--request-timeout", env="GARRISON_WRAP_REQUEST_TIMEOUT", type=float,
               metavar="SECONDS",
               help="seconds a request may wait for the server; progress restarts the clock (default: 300)")
    env_option(parser, "--unsafe-no-sanitise", env="GARRISON_WRAP_UNSAFE_NO_SANITISE", action="store_true",
               default=False, help="relay listed descriptions with invisible characters and escapes left in")
    pins = parser.add_argument_group("pins")
    env_option(pins, "--lockfile", env="GARRISON_LOCKFILE", default="garrison.lock", metavar="PATH",
               help="the pin lockfile (default: ./garrison.lock); unapproved items are hidden and refused")
    env_option(pins, "--unpinned", env="GARRISON_WRAP_UNPINNED", choices=UNPINNED_MODES,
               help="a server missing from the lockfile: pin-on-first-use or block (default: the policy's "
               "setting; without a policy, pin-on-first-use if there is no lockfile yet, else block)")
    env_option(pins, "--unsafe-no-pins", env="GARRISON_WRAP_UNSAFE_NO_PINS", action="store_true", default=False,
               help="do not check definitions against the lockfile")
    guard = parser.add_argument_group("content guard")
    env_option(guard, "--guard-outputs", env="GARRISON_WRAP_GUARD_OUTPUTS", choices=("flag", "redact", "block"),
               help="what to do with a suspicious result: flag (add a warning), redact, block "
               "(default: the policy's setting, else redact)")
    env_option(guard, "--guard-arguments", env="GARRISON_WRAP_GUARD_ARGUMENTS", choices=("block", "flag"),
               help="secrets or key files in call arguments: block or flag (default: the policy's, else block)")
    env_option(guard, "--unsafe-no-guard", env="GARRISON_WRAP_UNSAFE_NO_GUARD", action="store_true",
               default=False, help="do not judge call arguments and results")
    policy = parser.add_argument_group("policy")
    env_option(policy, "--policy", env="GARRISON_POLICY", metavar="PATH",
               help="the policy file (default: ./garrison.yaml when it exists, else no policy)")
    env_option(policy, "--identity", env="GARRISON_WRAP_IDENTITY", metavar="ID",
               help="the caller's identity for policy rules (default: client:<clientInfo.name>)")
    env_option(policy, "--approval-timeout", env="GARRISON_WRAP_APPROVAL_TIMEOUT", type=float, default=120.0,
               metavar="SECONDS", help="how long to wait for a person to approve an 'ask' call (default: 120)")
    audit = parser.add_argument_group("audit trail")
    env_option(audit, "--db", env="GARRISON_DB", metavar="PATH",
               help="the Garrison store receiving the audit trail (default: the per-user SQLite database)")
    env_option(audit, "--audit-required", env="GARRISON_WRAP_AUDIT_REQUIRED", action="store_true", default=False,
               help="refuse calls while the audit trail cannot be written (fail closed)")
    env_option(audit, "--unsafe-no-audit", env="GARRISON_WRAP_UNSAFE_NO_AUDIT", action="store_true",
               default=False, help="do not record calls in the store")
    sandbox = parser.add_argument_group("sandbox and sensors")
    env_option(sandbox, "--sandbox", env="GARRISON_WRAP_SANDBOX", metavar="PROFILE", default="none",
               help="run the server in a sandbox profile: strict, filesystem, network or none (docs/sandbox.md)")
    env_option(sandbox, "--sandbox-allow", env="GARRISON_WRAP_SANDBOX_ALLOW", env_separator=os.pathsep,
               metavar="PATH", action="append",
               help="also make PATH visible in the sandbox (read-only in strict, read-write otherwise); repeatable")
    env_option(sandbox, "--sandbox-backend", env="GARRISON_WRAP_SANDBOX_BACKEND", default="auto",
               choices=["auto", "bwrap", "landlock"], help="sandbox backend (default: auto, bubblewrap first)")
    env_option(sandbox, "--unsafe-no-sandbox", env="GARRISON_WRAP_UNSAFE_NO_SANDBOX", action="store_true",
               default=False, help="start the server unsandboxed when no sandbox backend works here")
    env_option(sandbox, "--watch", env="GARRISON_WRAP_WATCH", action="store_true", default=False,
               help="watch the server's process tree (processes, sensitive file opens, connections) and record "
               "those events with the call records (Linux; see docs/sensors.md)")
    env_option(parser, "--blocklist", env="GARRISON_BLOCKLIST", default="garrison.blocklist.yaml", metavar="PATH",
               help="the block list written by 'garrison respond' (blocked tools, quarantined servers); "
               "re-read when it changes")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]",
                        help="the server's command line, after --")
    parser.set_defaults(handler=run)


def _notice(name: str) -> Callable[[str], None]:
    def notice(text: str) -> None:
        print(f"garrison wrap [{name}]: {text}", file=sys.stderr, flush=True)  # noqa: T201 - people to stderr

    return notice


def _policy(args: argparse.Namespace) -> Policy | None:
    from garrison.policy import DEFAULT_POLICY_FILE, load_policy

    if args.policy:
        return load_policy(args.policy)
    if os.path.exists(DEFAULT_POLICY_FILE):
        return load_policy(DEFAULT_POLICY_FILE)
    return None


def _audit(args: argparse.Namespace, say: Callable[[str], None]) -> AuditWriter | None:
    from pathlib import Path

    from garrison.errors import StoreError
    from garrison.gateway.audit_sink import AuditWriter
    from garrison.store import default_db_path, open_store

    if args.unsafe_no_audit:
        return None
    target = args.db or str(default_db_path())

    def opener() -> Store:
        if target != "memory:" and "://" not in target:
            try:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(f"cannot create the store's directory: {err.strerror or err}", where=target) from None
        return open_store(target)

    opened: list[Store] = []
    if args.audit_required:
        opened.append(opener())  # a required trail that cannot be opened stops the wrapper before it starts

    def open_once() -> Store:
        return opened.pop() if opened else opener()

    return AuditWriter(open_once, where=target, notice=say)


def _watch(name: str, sinks: list[Callable[[Event], None]], say: Callable[[str], None]) -> Watcher:
    """Sensors on this wrapper's own process tree: the server and everything it starts are its descendants.
    Events go to the same sinks as the call records (the ``--events`` file and the audit trail)."""
    import threading

    from garrison.sensors import Watcher, WatchOptions

    lock = threading.Lock()

    def sink(event: Event) -> None:
        with lock:
            for each in sinks:
                each(event)

    watcher = Watcher([os.getpid()], sink, WatchOptions(server=name))
    watcher.start()
    for state in watcher.states:
        if state.degraded or state.mode == "off":
            say(f"watch: {state.sensor}: {state.mode}: {state.message}")
    return watcher


def run(args: argparse.Namespace) -> int:
    import asyncio
    import shlex

    from garrison.errors import UsageError
    from garrison.gateway.chain import ChainOptions, build_chain
    from garrison.gateway.event_log import EventLog
    from garrison.gateway.interceptors import EventSink, SessionState
    from garrison.gateway.limits import Limits
    from garrison.gateway.relay import run_relay

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise UsageError("no server command given (usage: garrison wrap [OPTIONS] -- COMMAND [ARGS...])")
    try:
        given = {"max_frame_bytes": args.max_frame_bytes, "request_timeout": args.request_timeout}
        limits = Limits(**{k: v for k, v in given.items() if v is not None})
    except ValueError as err:
        raise UsageError(str(err), where="garrison wrap") from None
    if not args.approval_timeout > 0:
        raise UsageError(f"--approval-timeout must be positive, got {args.approval_timeout}", where="garrison wrap")
    name = args.name or os.path.basename(command[0])
    denied = [t.strip() for t in str(args.deny_tools or "").split(",") if t.strip()]
    say = _notice(name)
    original = list(command)
    if args.sandbox != "none":
        from garrison.sandbox import prepare

        # The sandbox may start the server in another directory: name existing relative paths absolutely.
        command = [command[0], *(os.path.abspath(a) if not a.startswith("-") and not os.path.isabs(a)
                                 and os.path.exists(a) else a for a in command[1:])]
        sandboxed = prepare(command, args.sandbox, home=os.path.expanduser("~"), environ=os.environ,
                            allow=args.sandbox_allow or [], backend=args.sandbox_backend,
                            unsafe_no_sandbox=args.unsafe_no_sandbox)
        for line in sandboxed.notes:
            say(line)
        command = list(sandboxed.argv)
    policy = _policy(args)
    lockfile = None if args.unsafe_no_pins else str(args.lockfile)
    hint = "" if lockfile in (None, "garrison.lock") else f"--lockfile {shlex.quote(str(lockfile))} "
    options = ChainOptions(
        server=name, identity=args.identity, lockfile=lockfile, unpinned=args.unpinned, policy=policy,
        guard=not args.unsafe_no_guard, guard_outputs=args.guard_outputs, guard_arguments=args.guard_arguments,
        deny_tools=dict.fromkeys(denied, "denied by --deny-tools"), sanitise=not args.unsafe_no_sanitise,
        approve_hint=f"{hint}--name {shlex.quote(name)} -- {shlex.join(original)}",
        blocklist=args.blocklist or None,
    )
    log = EventLog.open(args.events) if args.events else None
    audit = _audit(args, say)
    sinks: list[EventSink] = [log.write] if log is not None else []
    built = build_chain(options, sinks=sinks, audit=audit, audit_required=bool(args.audit_required), notice=say)
    watcher = _watch(name, [*sinks, *([audit] if audit is not None else [])], say) if args.watch else None
    try:
        return asyncio.run(run_relay(command, session=SessionState(server=name), chain=built.chain, limits=limits,
                                     notice=say, refresh_lists=built.refresh_lists,
                                     approval_timeout=args.approval_timeout))
    finally:
        if watcher is not None:
            watcher.stop()
        if audit is not None:
            audit.close()
        if log is not None:
            log.close()
