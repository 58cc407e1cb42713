"""``garrison audit verify``: check the store's tamper-evident audit trail (the hash chain over tool calls).

Prints the result and the chain head; keep the head somewhere the store's writer cannot reach and pass it
back with ``--anchor`` to also catch a rewritten or truncated chain. Exit codes: 0 intact, 1 tampered (the
first bad record is named), 2 usage error or no store.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from garrison.cli import exit_codes
from garrison.cli.args import env_option
from garrison.cli.events import add_db_option, open_existing

__all__ = ["register", "run_verify"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "audit", help="verify the tamper-evident audit trail",
        description="The audit trail: tool-call records hash-chained in the store.")
    parser.set_defaults(handler=lambda args: _usage(parser))
    sub = parser.add_subparsers(dest="audit_command", metavar="COMMAND")
    verify = sub.add_parser(
        "verify", help="check every record of the audit chain",
        description="Recompute the audit hash chain record by record. Editing, deleting, inserting or "
        "reordering a record breaks it from that record on.",
        epilog="Exit codes: 0 intact, 1 tampered (first bad record named), 2 usage error or no store.")
    add_db_option(verify)
    env_option(verify, "--anchor", env="GARRISON_AUDIT_ANCHOR", action="append", metavar="HASH",
               help="a head printed by an earlier verify; it must still be in the chain (repeatable; "
               "comma-separated in the env)")
    env_option(verify, "--format", "-f", env="GARRISON_AUDIT_FORMAT", default="text", choices=("text", "json"),
               help="text or json (default text)")
    verify.set_defaults(handler=run_verify)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return exit_codes.USAGE


def run_verify(args: argparse.Namespace) -> int:
    import orjson

    from garrison.audit import verify_chain
    from garrison.errors import UsageError

    store = open_existing(args)
    if store is None:
        raise UsageError("no store here (nothing has been recorded)", where=args.db or "default store")
    try:
        result = verify_chain(store, anchors=tuple(args.anchor or ()))
        base = store.audit_base()
    finally:
        store.close()
    if args.format == "json":
        body = {**result.to_json(), "base": {"pos": base.pos, "hash": base.hash, "pruned": base.pruned}}
        sys.stdout.write(orjson.dumps(body).decode() + "\n")
    elif result.ok:
        pruned = f" ({base.pruned} earlier records removed by retention)" if base.pruned else ""
        sys.stdout.write(f"ok: {result.checked} records verified{pruned}\nhead: {result.head}\n")
    else:
        where = f"record {result.first_bad_pos}" if result.first_bad_pos is not None else "chain"
        ident = f" (id {result.first_bad_id})" if result.first_bad_id else ""
        sys.stdout.write(f"TAMPERED at {where}{ident}: {result.reason}\n"
                         f"{result.checked} records verified before it; last good hash: {result.head}\n")
    sys.stdout.flush()
    return exit_codes.CLEAN if result.ok else exit_codes.FINDINGS
