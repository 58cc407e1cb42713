"""``garrison pin`` and ``garrison approve``: trust on first use, and accepting a reviewed change."""

from __future__ import annotations

import argparse
from typing import Any

from garrison.cli.common import add_lockfile_option, add_store_options
from garrison.cli.sources import add_source_options

__all__ = ["register", "run_approve", "run_pin"]


def register(sub: Any) -> None:
    pin = sub.add_parser(
        "pin",
        help="pin the servers' current definitions in garrison.lock (trust on first use)",
        description="Record canonical hashes of every tool, prompt, resource, instructions, server identity "
        "and launch config. Servers already pinned keep their pins (drift is reported; accept it with "
        "'garrison approve'); --reset re-pins everything as scanned now.",
    )
    add_source_options(pin)
    add_lockfile_option(pin)
    add_store_options(pin)
    pin.add_argument("--reset", action="store_true", help="replace existing pins of the scanned servers")
    pin.set_defaults(handler=run_pin)

    approve = sub.add_parser(
        "approve",
        help="accept a reviewed change: SERVER, SERVER/tool:NAME, SERVER/NAME, SERVER/launch …",
        description="Scan the servers again and accept exactly the changes the selectors name.",
    )
    approve.add_argument("selectors", nargs="+", metavar="SERVER[/ITEM]", help="what to approve")
    add_source_options(approve)
    add_lockfile_option(approve)
    add_store_options(approve)
    approve.set_defaults(handler=run_approve)


def run_pin(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from garrison.cli import exit_codes
    from garrison.cli.common import load_lock, note, ok_snapshots, save_store
    from garrison.cli.sources import collect
    from garrison.pins import Lockfile, compare, pin_server

    collected = collect(args)
    before = load_lock(args.lockfile, required=False)
    lock = before or Lockfile()
    servers = dict(lock.servers)
    pinned, kept = [], []
    for result in ok_snapshots(collected.results):
        assert result.snapshot is not None
        if result.name in servers and not args.reset:
            drift = compare(Lockfile(servers={result.name: servers[result.name]}), [result.snapshot])
            if drift:
                kept.append(f"{result.name} ({len(drift)} change(s); review with 'garrison scan', accept with "
                            f"'garrison approve {result.name}')")
            continue
        servers[result.name] = pin_server(result.snapshot)
        pinned.append(result.name)
    after = replace(lock, servers=servers)
    if pinned:
        after.save(args.lockfile)
        save_store(args, before=before, after=after, action="pinned")
    for name in pinned:
        note(f"garrison: pinned {name}")
    for line in kept:
        note(f"garrison: kept existing pin of {line}")
    failed = [r for r in collected.results if r.status in ("error", "timeout")]
    for r in failed:
        note(f"garrison: not pinned: {r.name}: {r.status}: {r.error}")
    for unread in collected.unread_configs:
        note(f"garrison: warning: {unread}")
    if not pinned and not kept and not failed:
        note("garrison: nothing to pin")
    return exit_codes.INCOMPLETE if failed or collected.unread_configs else exit_codes.CLEAN


def run_approve(args: argparse.Namespace) -> int:
    from garrison.cli import exit_codes
    from garrison.cli.common import load_lock, note, ok_snapshots, save_store
    from garrison.cli.sources import collect
    from garrison.pins import approve

    before = load_lock(args.lockfile, required=True)
    assert before is not None
    collected = collect(args)
    snapshots = [r.snapshot for r in ok_snapshots(collected.results) if r.snapshot is not None]
    lock = before
    for selector in args.selectors:
        updated = approve(lock, snapshots, selector)
        note(f"garrison: {'approved' if updated is not lock else 'nothing changed for'} {selector}")
        lock = updated
    if lock is not before:
        lock.save(args.lockfile)
        save_store(args, before=before, after=lock, action="approved")
    failed = [r for r in collected.results if r.status in ("error", "timeout")]
    for r in failed:
        note(f"garrison: {r.name}: {r.status}: {r.error}")
    return exit_codes.INCOMPLETE if failed else exit_codes.CLEAN
