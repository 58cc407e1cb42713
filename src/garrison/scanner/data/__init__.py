"""Data files shipped with the scanner (see ``NOTICE.md`` here for sources and attribution)."""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["reference_server_names"]


@cache
def reference_server_names() -> tuple[str, ...]:
    """Well-known MCP server names from ``reference_servers.txt`` (comments and blank lines skipped)."""
    text = resources.files(__name__).joinpath("reference_servers.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
