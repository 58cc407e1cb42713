"""What a wrapped launch line looks like, and how to tell one apart. Pure.

A server is wrapped when its config launches ``<garrison> wrap --name NAME -- COMMAND ARGS...``. The
launcher is the ``garrison`` executable installed beside the running interpreter, named by absolute path so
that it starts even when the client launches servers with a scrubbed ``PATH``; when no such script exists
(Garrison run as ``python -m garrison``) it is ``<python> -m garrison``.
"""

from __future__ import annotations

import ntpath
import os
from collections.abc import Callable, Sequence

__all__ = ["default_launcher", "is_wrapped", "unwrap_argv", "wrap_argv"]

WRAP = "wrap"
_VALUE_OPTIONS = frozenset({"--name", "--deny-tools", "--events", "--max-frame-bytes", "--request-timeout"})
"""``garrison wrap`` options that take a separate value (so a value equal to ``--`` is not the separator)."""


def _is_garrison(command: str) -> bool:
    base = ntpath.basename(command).lower()  # splits on both "/" and "\\"
    return base.removesuffix(".exe") == "garrison"


def _wrap_index(command: str, args: Sequence[str]) -> int | None:
    """Index of ``wrap`` in ``args`` when ``command args`` runs ``garrison wrap``."""
    if _is_garrison(command) and args[:1] == [WRAP]:
        return 0
    if list(args[:3]) == ["-m", "garrison", WRAP]:
        return 2
    return None


def is_wrapped(command: str | None, args: Sequence[str]) -> bool:
    return command is not None and _wrap_index(command, list(args)) is not None


def wrap_argv(launcher: Sequence[str], name: str, command: str, args: Sequence[str]) -> tuple[str, list[str]]:
    """``(command, args)`` that run ``command args`` behind ``garrison wrap --name name``.

    A name that starts with ``-`` is written ``--name=NAME``, so it cannot be read as an option or as the
    ``--`` separator.
    """
    naming = [f"--name={name}"] if name.startswith("-") else ["--name", name]
    return launcher[0], [*launcher[1:], WRAP, *naming, "--", command, *args]


def unwrap_argv(command: str | None, args: Sequence[str]) -> tuple[str, list[str]] | None:
    """The server's own ``(command, args)`` from a wrapped launch line; ``None`` if it is not one."""
    if command is None:
        return None
    argv = list(args)
    at = _wrap_index(command, argv)
    if at is None:
        return None
    i = at + 1
    while i < len(argv):
        word = argv[i]
        if word == "--":
            rest = argv[i + 1:]
            return (rest[0], rest[1:]) if rest else None
        if not word.startswith("-"):
            return None
        i += 2 if word in _VALUE_OPTIONS else 1
    return None


def default_launcher(
    executable: str,
    platform: str,
    exists: Callable[[str], bool] = os.path.isfile,
) -> tuple[str, ...]:
    """The launcher for this installation: ``(<dir of executable>/garrison,)`` or ``(executable, -m, garrison)``.

    ``executable`` is ``sys.executable``; it is made absolute but symlinks are *not* resolved (a virtual
    environment's interpreter is often a symlink, and resolving it would leave the environment).
    """
    path_mod = ntpath if platform.startswith("win") else os.path
    python = path_mod.abspath(executable) if path_mod is os.path else executable
    script = path_mod.join(path_mod.dirname(python), "garrison.exe" if path_mod is ntpath else "garrison")
    if exists(script):
        return (script,)
    return (python, "-m", "garrison")
