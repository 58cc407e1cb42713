"""Restrict this process with Landlock, then replace it with the server's command.

    python -m garrison.sandbox.landlock_exec [--ro PATH]... [--rw PATH]... [--deny-tcp] [--private-tmp]
        -- COMMAND [ARGS...]

``--private-tmp`` creates a new empty directory (mode 0700) under the system temporary directory, makes it the
only writable temporary place and points ``TMPDIR``, ``TMP`` and ``TEMP`` at it. It is left behind, empty or
not, when the command ends (this process has become the command and cannot clean up).

If the restriction cannot be applied exactly as asked, the command is not started (exit 126, a message on
stderr naming what failed): a server never runs less confined than its profile says.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence

from garrison.sandbox.landlock import LandlockError, restrict_self

__all__ = ["main"]

EXIT_CANNOT_CONFINE = 126
EXIT_NOT_FOUND = 127


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m garrison.sandbox.landlock_exec",
                                     description="run COMMAND confined by Landlock")
    parser.add_argument("--ro", action="append", default=[], metavar="PATH", help="readable and executable")
    parser.add_argument("--rw", action="append", default=[], metavar="PATH", help="readable and writable")
    parser.add_argument("--deny-tcp", action="store_true", help="deny TCP connect and bind (Landlock ABI >= 4)")
    parser.add_argument("--private-tmp", action="store_true", help="a new private TMPDIR, the only writable tmp")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        sys.stderr.write("landlock_exec: no command given\n")
        return 2
    writable = list(args.rw)
    if args.private_tmp:
        private = tempfile.mkdtemp(prefix="garrison-sandbox-")
        writable.append(private)
        for name in ("TMPDIR", "TMP", "TEMP"):
            os.environ[name] = private
    try:
        restrict_self(args.ro, writable, deny_tcp=args.deny_tcp)
    except LandlockError as err:
        sys.stderr.write(f"landlock_exec: refusing to start {command[0]!r}: {err.strerror}\n")
        return EXIT_CANNOT_CONFINE
    try:
        os.execvp(command[0], command)  # noqa: S606 - replaces this launcher with the server, no shell
    except OSError as err:
        sys.stderr.write(f"landlock_exec: cannot start {command[0]!r}: {err.strerror}\n")
    return EXIT_NOT_FOUND


if __name__ == "__main__":
    raise SystemExit(main())
