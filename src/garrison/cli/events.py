"""``garrison events``: list stored events; ``garrison events prune``: apply the retention limits.

The reading options (``--db``, ``--since``, ``--until``, ``--limit``, ``--order``, ``--format``) are shared
with ``garrison hunt``. Exit codes: 0 done, 2 usage error or unusable store.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from garrison.cli import exit_codes
from garrison.cli.args import env_option

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from garrison.model import Event
    from garrison.store import Store

__all__ = ["add_read_options", "open_existing", "read_window", "register", "run", "write_events"]

DEFAULT_LIMIT = 100
DEFAULT_MAX_AGE = "90d"
DEFAULT_MAX_ROWS = "10000000"
"""Retention defaults; :class:`garrison.store.events.Retention` has the same (a test keeps them equal)."""


def add_db_option(parser: argparse.ArgumentParser) -> None:
    env_option(parser, "--db", env="GARRISON_DB", metavar="PATH",
               help="the Garrison store (default: the per-user SQLite database)")


def add_read_options(parser: argparse.ArgumentParser) -> None:
    add_db_option(parser)
    env_option(parser, "--since", env="GARRISON_EVENTS_SINCE", metavar="TIME",
               help="only events at or after TIME: 15m, 1h, 7d (before now), ISO 8601 or epoch seconds")
    env_option(parser, "--until", env="GARRISON_EVENTS_UNTIL", metavar="TIME",
               help="only events before TIME (same forms as --since)")
    env_option(parser, "--limit", env="GARRISON_EVENTS_LIMIT", type=int, default=DEFAULT_LIMIT, metavar="N",
               help=f"print at most N events; 0 for no limit (default {DEFAULT_LIMIT})")
    env_option(parser, "--order", env="GARRISON_EVENTS_ORDER", default="desc", choices=("asc", "desc"),
               help="oldest first (asc) or newest first (desc, the default)")
    env_option(parser, "--format", "-f", env="GARRISON_EVENTS_FORMAT", default="table", choices=("table", "json"),
               help="table for people, json for one JSON event per line (default table)")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "events",
        help="list stored events, or prune them",
        description="List events in the Garrison store (tool-call records, imported and sensor events), "
        "newest first. 'garrison events prune' deletes events beyond the retention limits.",
        epilog="Exit codes: 0 done, 2 usage error or unusable store.",
    )
    add_read_options(parser)
    for name in ("product", "category", "source"):
        env_option(parser, f"--{name}", env=f"GARRISON_EVENTS_{name.upper()}", metavar=name.upper(),
                   help=f"only events whose {name} is exactly {name.upper()}")
    parser.set_defaults(handler=run)
    sub = parser.add_subparsers(dest="events_command", metavar="[prune | import]")
    prune = sub.add_parser("prune", help="delete events beyond the retention limits",
                           description="Delete events older than --max-age and the oldest beyond --max-rows. "
                           "Audit-chain records go only from the start of the chain (its new start is kept), "
                           "so verification still passes after pruning.",
                           epilog="Exit codes: 0 done, 2 usage error or unusable store.")
    add_db_option(prune)
    env_option(prune, "--max-age", env="GARRISON_RETENTION_MAX_AGE", default=DEFAULT_MAX_AGE, metavar="SPAN",
               help="delete events older than SPAN (30d, 12h, 2w; 'none' for no age limit; default 90d)")
    env_option(prune, "--max-rows", env="GARRISON_RETENTION_MAX_ROWS", default=DEFAULT_MAX_ROWS, metavar="N",
               help="keep at most N events ('none' for no limit; default 10000000)")
    prune.set_defaults(handler=run_prune)
    load = sub.add_parser("import", help="store the events of event files",
                          description="Read event files (Garrison JSON lines, Sysmon / Windows records as JSON, "
                          "auditd logs; the formats 'garrison detect' reads) and store their events, in batches "
                          "of --batch, each batch all or nothing. Unreadable lines are named on stderr.",
                          epilog="Exit codes: 0 all stored, 2 a file or batch could not be used (batches before "
                          "it are kept), 3 stored but some lines could not be read.")
    add_db_option(load)
    env_option(load, "--batch", env="GARRISON_EVENTS_BATCH", type=int, default=5000, metavar="N",
               help="events per transaction (default 5000)")
    load.add_argument("files", nargs="+", metavar="FILE", help="event files")
    load.set_defaults(handler=run_import)


def open_existing(args: argparse.Namespace) -> Store | None:
    """The store named by ``--db`` (or the default); ``None`` when that SQLite file does not exist yet."""
    from garrison.store import default_db_path, open_store

    target = args.db or str(default_db_path())
    if target != "memory:" and "://" not in target and not Path(target).exists():
        return None
    return open_store(target)


def read_window(args: argparse.Namespace, *, now: float) -> tuple[float | None, float | None, int | None]:
    """``(since, until, limit)`` from the shared options."""
    from garrison.errors import UsageError
    from garrison.hunt import parse_time

    since = parse_time(args.since, now=now, where="--since") if args.since else None
    until = parse_time(args.until, now=now, where="--until") if args.until else None
    if args.limit is None or args.limit < 0:
        raise UsageError("--limit must be 0 or more", where="--limit")
    if args.format not in ("table", "json"):
        raise UsageError(f"unknown format {args.format!r} (table or json)", where="--format")
    return since, until, args.limit or None


def write_events(events: Iterable[Event], fmt: str) -> int:
    """Print events (nothing at all when there are none); return how many."""
    import itertools

    from garrison.hunt.render import render

    stream = iter(events)
    first = next(stream, None)
    if first is None:
        return 0
    count = 0

    def counted() -> Iterator[Event]:
        nonlocal count
        for event in itertools.chain((first,), stream):
            count += 1
            yield event

    for line in render(counted(), fmt):
        sys.stdout.write(line)
    sys.stdout.flush()
    return count


def _note(message: str) -> None:
    print(message, file=sys.stderr)  # noqa: T201 - messages for people


def run(args: argparse.Namespace) -> int:
    import time

    from garrison.store.events import EventQuery

    since, until, limit = read_window(args, now=time.time())
    store = open_existing(args)
    if store is None:
        _note(f"garrison: no store at {args.db or 'the default location'} yet: nothing recorded")
        return exit_codes.CLEAN
    try:
        query = EventQuery(since=since, until=until, product=args.product, category=args.category,
                           source=args.source, limit=limit, order=args.order)
        shown = write_events(store.query_events(query), args.format)
        if shown == 0:
            _note("garrison: no events match")
    finally:
        store.close()
    return exit_codes.CLEAN


def _bound(text: str | None, *, where: str, span: bool) -> float | None:
    from garrison.errors import UsageError
    from garrison.hunt import parse_span

    if text is None or str(text).strip().lower() in ("", "none"):
        return None
    if span:
        return parse_span(str(text), where=where)
    try:
        value = int(str(text))
    except ValueError:
        raise UsageError(f"{text!r} is not a whole number", where=where) from None
    if value < 0:
        raise UsageError("must be 0 or more", where=where)
    return float(value)


def run_prune(args: argparse.Namespace) -> int:
    import time

    from garrison.store.events import Retention

    max_age = _bound(args.max_age, where="--max-age", span=True)
    max_rows = _bound(args.max_rows, where="--max-rows", span=False)
    retention = Retention(max_age=max_age, max_rows=None if max_rows is None else int(max_rows))
    store = open_existing(args)
    if store is None:
        _note(f"garrison: no store at {args.db or 'the default location'}: nothing to prune")
        return exit_codes.CLEAN
    try:
        removed = store.prune_events(retention.cutoff(time.time()), max_rows=retention.max_rows)
        left = store.count_events()
    finally:
        store.close()
    _note(f"garrison: pruned {removed} events, {left} left")
    print(removed)  # noqa: T201 - data to stdout
    return exit_codes.CLEAN


def run_import(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from garrison.errors import UsageError
    from garrison.events import read_events
    from garrison.store import default_db_path, open_store

    if args.batch is None or args.batch < 1:
        raise UsageError("--batch must be 1 or more", where="--batch")
    store = open_store(args.db or str(default_db_path()))
    stored = unreadable = 0
    try:
        for name in args.files:
            path = Path(name)
            read = read_events(path)
            for problem in read.problems:
                _note(f"garrison: {problem.where}: {problem.reason}")
            unreadable += len(read.problems)
            # Readers name records by file:line when the record has no id; the store gives those an id.
            events = [replace(e, id=None) if e.id is not None and e.id.startswith(f"{path}:") else e
                      for e in read.events]
            for start in range(0, len(events), args.batch):
                stored += len(store.append_events(events[start:start + args.batch]))
    finally:
        store.close()
        _note(f"garrison: stored {stored} events" + (f"; {unreadable} lines could not be read" if unreadable
                                                      else ""))
    print(stored)  # noqa: T201 - data to stdout
    return exit_codes.INCOMPLETE if unreadable else exit_codes.CLEAN
