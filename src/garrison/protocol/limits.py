"""Limits applied to every server Garrison connects to. On by default; a server that exceeds one is
reported as a protocol violation, never silently truncated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_LIMITS", "Limits", "json_depth"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Size, count and depth limits for one connection."""

    max_message_bytes: int = 4 * 1024 * 1024
    """Largest single JSON-RPC message (one stdio line, one HTTP response body, one SSE event)."""
    max_total_bytes: int = 64 * 1024 * 1024
    """Largest total a server may send over one snapshot (HTTP event streams count here)."""
    max_items: int = 5_000
    """Most tools, prompts, resources or resource templates accepted per list."""
    max_pages: int = 100
    """Most ``nextCursor`` pages followed per list."""
    max_depth: int = 100
    """Deepest JSON nesting accepted inside one definition."""
    max_stderr_bytes: int = 64 * 1024
    """How much of a stdio server's stderr is kept (the tail) for error messages."""

    def __post_init__(self) -> None:
        for name in ("max_message_bytes", "max_total_bytes", "max_items", "max_pages", "max_depth",
                     "max_stderr_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive")


DEFAULT_LIMITS = Limits()


def json_depth(value: Any, limit: int) -> int:
    """Nesting depth of a JSON value (a scalar is 0), counting no further than ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest
