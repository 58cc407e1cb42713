"""``garrison install`` / ``garrison uninstall``: put every configured stdio MCP server behind ``garrison wrap``,
and take it out again.

Exit codes: 0 every config file was processed; 3 some file could not be processed (left untouched) or some
entry could not be edited safely; 2 usage error.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from garrison.cli import exit_codes
from garrison.cli.args import env_option

if TYPE_CHECKING:
    from garrison.install import RunReport

__all__ = ["register", "run_install", "run_uninstall"]

_EPILOG = "Exit codes: 0 all config files processed, 2 usage error, 3 some file or entry left untouched."


def _common(parser: argparse.ArgumentParser) -> None:
    env_option(parser, "--client", env="GARRISON_CLIENT", action="append", metavar="CLIENT",
               help="only this client (repeatable or comma-separated), e.g. cursor, claude-code, vscode "
               "(default: every client)")
    env_option(parser, "--project", env="GARRISON_PROJECT", action="append", metavar="DIR",
               help="also rewrite project-level configs in DIR (repeatable; default: the current directory)")
    env_option(parser, "--dry-run", env="GARRISON_DRY_RUN", action="store_true", default=False,
               help="print a unified diff of every change to stdout and change nothing")
    env_option(parser, "--backup-dir", env="GARRISON_BACKUP_DIR", metavar="DIR",
               help="where backups and their manifests live (default: 'backups' in the Garrison data "
               "directory, beside the default store)")


def register(subparsers: Any) -> None:
    install: argparse.ArgumentParser = subparsers.add_parser(
        "install",
        help="rewrite client configs so every stdio server runs behind garrison wrap",
        description="Rewrite the MCP client configs on this machine so that each stdio server is launched "
        "through 'garrison wrap --name NAME -- COMMAND ARGS...'. Only the command and args values change; "
        "comments and layout are kept. Every file is backed up first; 'garrison uninstall' undoes it. Remote "
        "(HTTP/SSE) servers are listed and left alone. Restart the clients afterwards.",
        epilog=_EPILOG,
    )
    _common(install)
    env_option(install, "--executable", env="GARRISON_INSTALL_EXECUTABLE", metavar="PATH",
               help="absolute path of the garrison executable to put in the configs (default: the garrison "
               "script beside this Python, else '<python> -m garrison')")
    install.set_defaults(handler=run_install)
    uninstall: argparse.ArgumentParser = subparsers.add_parser(
        "uninstall",
        help="undo garrison install: restore the client configs",
        description="Restore every config that 'garrison install' changed, byte for byte from its backup, "
        "as long as the file still holds exactly what Garrison wrote. A file edited since is not overwritten: "
        "its wrapped entries are unwrapped in place instead, keeping the other edits.",
        epilog=_EPILOG,
    )
    _common(uninstall)
    uninstall.set_defaults(handler=run_uninstall)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item and item.strip()]


def _machine(args: argparse.Namespace) -> Any:
    import os
    from pathlib import Path

    from garrison.discovery import default_home
    from garrison.install import Machine

    environ = dict(os.environ)
    return Machine(home=default_home(environ), environ=environ, cwd=Path.cwd(),
                   project_dirs=[Path(p) for p in _as_list(args.project)], clients=_as_list(args.client) or None)


def _backup_root(args: argparse.Namespace, machine: Any) -> Any:
    from pathlib import Path

    from garrison.install import default_backup_root

    return Path(args.backup_dir) if args.backup_dir else default_backup_root(machine.environ, machine.home)


_LABELS = {
    "wrapped": "wrapped",
    "unwrapped": "unwrapped",
    "already-wrapped": "already wrapped",
    "not-wrapped": "not wrapped",
    "remote": "not wrapped (remote; use garrison gateway)",
    "no-command": "not wrapped (no command)",
    "refused": "LEFT AS IS",
}


def _report(report: RunReport, *, dry_run: bool) -> int:
    import sys

    from garrison.cli.common import note

    for result in report.files:
        if result.diff:
            sys.stdout.write(result.diff)
        if result.status == "failed":
            note(f"garrison: could not process {result.message}")
            continue
        for e in result.entries:
            if report.operation == "uninstall" and e.action not in ("unwrapped", "refused"):
                continue  # uninstall lists what it changes or could not change
            detail = f": {e.detail}" if e.action == "refused" else ""
            label = _LABELS[e.action]
            if dry_run and e.action in ("wrapped", "unwrapped"):
                label = f"would be {label}"
            note(f"  {result.client:<16} {e.server:<24} {label}{detail}  ({result.path}:{e.line})")
        if result.message and result.status != "unchanged":
            note(f"  {result.path}: {result.message}")
    for warning in report.warnings:
        note(f"garrison: warning: {warning}")
    done = "wrapped" if report.operation == "install" else "unwrapped"
    count = sum(1 for f in report.files for e in f.entries if e.action == done
                and f.status in ("changed", "would-change"))
    touched = sum(1 for f in report.files if f.status in ("changed", "would-change"))
    failed = sum(1 for f in report.files if f.status == "failed")
    if dry_run:
        summary = f"dry run: would change {touched} file(s) ({count} server(s) {done}); nothing was written"
    elif report.operation == "install":
        summary = f"{count} server(s) {done} in {touched} file(s)"
    else:
        summary = f"{touched} file(s) restored ({count} server(s) {done})"
    if failed:
        summary += f"; {failed} file(s) could not be processed and were left untouched"
    if report.backup_dir:
        summary += f"; backups in {report.backup_dir}"
    note(f"garrison: {summary}")
    if touched and not dry_run:
        note("garrison: restart the MCP clients to pick up the change")
    return exit_codes.CLEAN if report.complete else exit_codes.INCOMPLETE


def run_install(args: argparse.Namespace) -> int:
    import os
    import sys

    from garrison.errors import UsageError
    from garrison.install import default_launcher, install

    if args.executable:
        if not os.path.isabs(args.executable):
            raise UsageError("--executable must be an absolute path (clients may start servers without PATH)",
                             where=args.executable)
        launcher: tuple[str, ...] = (args.executable,)
    else:
        launcher = default_launcher(sys.executable, sys.platform)
    machine = _machine(args)
    report = install(machine, launcher=launcher, backup_root=_backup_root(args, machine), dry_run=args.dry_run)
    return _report(report, dry_run=args.dry_run)


def run_uninstall(args: argparse.Namespace) -> int:
    from garrison.install import uninstall

    machine = _machine(args)
    report = uninstall(machine, backup_root=_backup_root(args, machine), dry_run=args.dry_run)
    return _report(report, dry_run=args.dry_run)
