"""Options and steps shared by ``scan``, ``snapshot``, ``pin`` and ``approve``: lockfile, store, output."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from garrison.cli.args import env_option

if TYPE_CHECKING:
    from garrison.model.scan import ScanResult, ServerResult
    from garrison.pins import Drift, Lockfile
    from garrison.store import PinAction, PinRecord, Store

__all__ = [
    "add_lockfile_option",
    "add_output_options",
    "add_store_options",
    "load_lock",
    "note",
    "ok_snapshots",
    "save_store",
    "write_output",
]


def note(message: str) -> None:
    """A message for people (stderr); data goes to stdout."""
    print(message, file=sys.stderr)  # noqa: T201


def add_lockfile_option(parser: argparse.ArgumentParser) -> None:
    env_option(parser, "--lockfile", env="GARRISON_LOCKFILE", default="garrison.lock", metavar="PATH",
               help="the pin lockfile (default: ./garrison.lock)")


def add_store_options(parser: argparse.ArgumentParser) -> None:
    env_option(parser, "--db", env="GARRISON_DB", metavar="PATH",
               help="the Garrison store (default: the per-user SQLite database; see README)")
    env_option(parser, "--no-store", env="GARRISON_NO_STORE", action="store_true",
               help="do not record this run in the store")


def load_lock(path: str, *, required: bool) -> Lockfile | None:
    from garrison.errors import LockfileError
    from garrison.pins import Lockfile

    if not Path(path).exists():
        if required:
            raise LockfileError("no lockfile here; run 'garrison pin' first", where=path)
        return None
    return Lockfile.load(path)


def _open_store(args: argparse.Namespace) -> Store:
    from garrison.store import default_db_path, open_store

    target = args.db or str(default_db_path())
    if target != "memory:" and "://" not in target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    return open_store(target)


def save_store(args: argparse.Namespace, *, result: ScanResult | None = None, source: str = "config",
               drifts: Sequence[Drift] = (), before: Lockfile | None = None, after: Lockfile | None = None,
               action: PinAction = "pinned") -> None:
    """Record a run and/or pin history. A store failure is an error (exit 2) after the report is printed."""
    if args.no_store:
        return
    from garrison.store.history import drift_records, lock_changes

    now = time.time()
    records: list[PinRecord] = drift_records(drifts, time=now)
    if after is not None:
        records.extend(lock_changes(before, after, action=action, time=now))
    store = _open_store(args)
    try:
        if result is not None:
            store.record_scan(result, source=source)
        if records:
            store.record_pins(records)
    finally:
        store.close()


def add_output_options(parser: argparse.ArgumentParser, formats: Sequence[str], default: str) -> None:
    env_option(parser, "--format", "-f", env="GARRISON_FORMAT", default=default, choices=list(formats),
               help=f"output format (default {default})")
    env_option(parser, "--output", "-o", env="GARRISON_OUTPUT", metavar="FILE",
               help="write the report to FILE instead of stdout")


def write_output(args: argparse.Namespace, text: str) -> None:
    if args.output:
        import os
        import tempfile

        target = Path(args.output)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def ok_snapshots(results: Sequence[ServerResult]) -> list[ServerResult]:
    return [r for r in results if r.status == "ok" and r.snapshot is not None]
