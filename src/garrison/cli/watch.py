"""``garrison watch (--pid PID ... | -- COMMAND [ARGS...])``: watch an MCP server's process tree on Linux.

Writes one Garrison event JSON line per process start and exit, sensitive file open, network connection and
memory heuristic, to ``--events FILE`` or stdout. Sensors that lack privileges or kernel support fall back or
turn off, say so on stderr and in a status event, and make the exit status 3 (incomplete).
"""

from __future__ import annotations

import argparse
from typing import IO, TYPE_CHECKING, Any

from garrison.cli.args import env_option

if TYPE_CHECKING:
    import subprocess

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "watch",
        help="watch an MCP server's processes, sensitive file opens and connections (Linux)",
        description="Watch the process tree of running pids, or of a command launched here, and write "
        "Sigma-named events as JSON lines: process_creation, process_termination, file_access, "
        "network_connection, process_tampering. Runs best as root (proc connector, fanotify).",
        epilog="Exit codes: 0 watched with every sensor at full strength, 1 package files changed (--integrity), "
        "2 usage error, 3 incomplete (a sensor fell back or was off, or events were lost).",
    )
    env_option(parser, "--pid", env="GARRISON_WATCH_PID", action="append", type=int, metavar="PID",
               help="a running process to watch with its descendants (repeatable)")
    env_option(parser, "--events", env="GARRISON_WATCH_EVENTS", metavar="FILE",
               help="append the event JSON lines to FILE (default: stdout)")
    env_option(parser, "--name", env="GARRISON_WATCH_NAME", metavar="NAME",
               help="MCP server name put in every event's links (default: the root's program name)")
    env_option(parser, "--home", env="GARRISON_WATCH_HOME", metavar="DIR",
               help="home directory whose ~/ sensitive paths are watched (default: $HOME)")
    env_option(parser, "--timeout", env="GARRISON_WATCH_TIMEOUT", type=float, metavar="SECONDS",
               help="stop after SECONDS, ending a launched command (default: when the command or every "
               "watched pid exits)")
    env_option(parser, "--process-backend", env="GARRISON_WATCH_PROCESS_BACKEND", default="auto",
               choices=["auto", "netlink", "polling"],
               help="process events: the kernel proc connector, or /proc polling that misses short-lived "
               "processes (default auto: netlink, else polling)")
    env_option(parser, "--file-backend", env="GARRISON_WATCH_FILE_BACKEND", default="auto",
               choices=["auto", "fanotify", "inotify", "off"],
               help="sensitive file opens: fanotify (attributed) or inotify (not attributed) (default auto)")
    env_option(parser, "--no-network", env="GARRISON_WATCH_NO_NETWORK", action="store_true", default=False,
               help="do not record network connections")
    env_option(parser, "--integrity", env="GARRISON_WATCH_INTEGRITY", metavar="DIR|auto",
               help="hash the server's package files under DIR (auto: the directory of the command's script) "
               "before and after the watch, and report files added, removed or modified as file_change events "
               "(exit 1)")
    env_option(parser, "--integrity-baseline", env="GARRISON_WATCH_INTEGRITY_BASELINE", metavar="FILE",
               help="compare --integrity against the hash tree saved in FILE; FILE is written when it does "
               "not exist yet")
    env_option(parser, "--no-memory", env="GARRISON_WATCH_NO_MEMORY", action="store_true", default=False,
               help="do not run the tracer, LD_PRELOAD and W+X mapping heuristics")
    parser.set_defaults(handler=run, command_argv=[])


def _end_launched(popen: subprocess.Popen[bytes] | None) -> None:
    """A command launched for the watch does not outlive it (on --timeout or interrupt): TERM, then KILL."""
    import subprocess

    if popen is None or popen.poll() is not None:
        return
    popen.terminate()
    try:
        popen.wait(5)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait()


def _integrity_root(args: argparse.Namespace, argv: list[str]) -> str | None:
    from garrison.errors import UsageError
    from garrison.sensors.integrity import entry_root

    if args.integrity_baseline and not args.integrity:
        raise UsageError("--integrity-baseline needs --integrity DIR (or auto)")
    if not args.integrity:
        return None
    if args.integrity != "auto":
        return str(args.integrity)
    root = entry_root(argv) if argv else None
    if root is None:
        raise UsageError("--integrity auto cannot tell the server's code directory from this command line; "
                         "give --integrity DIR")
    return str(root)


def run(args: argparse.Namespace) -> int:
    import os
    import signal
    import sys
    import time
    import uuid
    from dataclasses import replace
    from pathlib import Path

    from garrison.cli import exit_codes
    from garrison.cli.common import note
    from garrison.errors import ConfigError, UsageError
    from garrison.model import Event
    from garrison.sensors import Command, JsonlSink, Watcher, WatchOptions
    from garrison.sensors.integrity import change_events, diff, hash_tree, load_tree, save_tree

    argv = [a for a in (args.command_argv or []) if a != "--"] if args.command_argv else []
    pids = list(args.pid or [])
    if bool(argv) == bool(pids):
        raise UsageError("give either --pid PID (one or more) or -- COMMAND [ARGS...], not both")
    if sys.platform != "linux":
        raise UsageError("garrison watch needs Linux (/proc, netlink, fanotify)")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")

    integrity_root = _integrity_root(args, argv)
    server = args.name or (os.path.basename(argv[0]) if argv else str(pids[0]))
    before = hash_tree(integrity_root) if integrity_root else None
    drift: list[Event] = []
    if before is not None and args.integrity_baseline:
        if Path(args.integrity_baseline).exists():
            changes = diff(load_tree(args.integrity_baseline), before)
            drift = change_events(changes, root=before.root, server=server, time=time.time(),
                                  when="since the baseline")
            note(f"garrison: integrity: {len(changes)} change(s) under {before.root} since the baseline")
        else:
            save_tree(before, args.integrity_baseline)
            note(f"garrison: integrity: baseline of {len(before.files)} files under {before.root} written to "
                 f"{args.integrity_baseline}")

    stream: IO[bytes]
    if args.events:
        try:
            stream = open(args.events, "ab")
        except OSError as err:
            raise ConfigError(f"cannot open the event file: {err.strerror or err}", where=args.events) from None
    else:
        stream = sys.stdout.buffer
    sink = JsonlSink(stream)
    run_id = uuid.uuid4().hex[:12]

    def emit_direct(events: list[Event], label: str) -> None:
        for n, event in enumerate(events, 1):
            sink(replace(event, id=f"{run_id}-{label}-{n}"))

    emit_direct(drift, "baseline")
    options = WatchOptions(server=args.name, process_backend=args.process_backend,
                           file_backend=args.file_backend, network=not args.no_network,
                           memory=not args.no_memory, home=args.home)
    # Event lines own stdout: the launched command's output goes to stderr then.
    roots: list[int] | Command = pids or Command(tuple(argv), stdout=None if args.events else 2)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        with Watcher(roots, sink, options) as watcher:
            for state in watcher.states:
                note(f"garrison: {'WARNING: ' if state.degraded else ''}{state.sensor}: {state.message}")
            try:
                status = watcher.wait(args.timeout)
            finally:
                _end_launched(watcher.popen)
        changed = list(drift)
        if before is not None:
            during = change_events(diff(before, hash_tree(before.root)), root=before.root, server=server,
                                   time=time.time(), when="during the watch")
            emit_direct(during, "during")
            changed.extend(during)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if args.events:
            stream.close()
    ended = "timeout reached" if status is None else f"watched processes ended (status {status})"
    note(f"garrison: {ended}; {sink.count} events written" + (f" to {args.events}" if args.events else ""))
    if changed:
        note(f"garrison: integrity: {len(changed)} package file change(s) under {before.root if before else ''}")
    if not watcher.complete:
        note("garrison: the watch was incomplete (see the sensor status events)")
    if changed:
        return exit_codes.FINDINGS
    return exit_codes.CLEAN if watcher.complete else exit_codes.INCOMPLETE
