"""Argument helpers: every option has an environment-variable twin, shown in ``--help``.

Kept free of heavy imports: ``garrison --version`` must start fast.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

__all__ = ["env_option"]


class _ReplaceAppend(argparse.Action):
    """``append`` whose environment default is replaced (not extended) by the first flag on the command line."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        seen = f"_{self.dest}_from_cli"
        current = getattr(namespace, self.dest, None) if getattr(namespace, seen, False) else None
        setattr(namespace, self.dest, [*(current or []), values])
        setattr(namespace, seen, True)


def env_option(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    *flags: str,
    env: str,
    environ: Mapping[str, str] | None = None,
    default: Any = None,
    env_separator: str = ",",
    help: str,
    **kwargs: Any,
) -> None:
    """``parser.add_argument(*flags, ...)`` whose default comes from ``env`` when that variable is set.

    For ``action="append"`` the variable holds a list separated by ``env_separator`` (``os.pathsep`` for paths),
    and the first use of the flag on the command line replaces it.
    """
    source = os.environ if environ is None else environ
    value: Any = source.get(env, default)
    action = kwargs.get("action")
    if action == "append":
        kwargs["action"] = _ReplaceAppend
        if env in source:
            value = [part.strip() for part in source[env].split(env_separator) if part.strip()]
    elif action in ("store_true", "store_false") and env in source:
        value = source[env].strip().lower() in ("1", "true", "yes", "on")
    elif env in source and kwargs.get("type") is not None:
        value = kwargs["type"](value)
    parser.add_argument(*flags, default=value, help=f"{help} [env: {env}]", **kwargs)
