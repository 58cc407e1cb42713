"""Typed field readers over :class:`~garrison.policy.yamltree.Node` mappings: strict keys, clear errors.

Each reader raises :class:`~garrison.errors.PolicyError` naming ``file:line`` and the key at fault.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any, TypeVar

from garrison.policy.yamltree import Node

__all__ = ["Fields", "parse_bytes", "parse_seconds"]

T = TypeVar("T", bound=str)

_SIZE = re.compile(r"(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?", re.I)
_SIZE_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2, "gb": 1000**3, "gib": 1024**3}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?", re.I)
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_bytes(node: Node, what: str) -> int:
    value = node.value
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str) and (m := _SIZE.fullmatch(value.strip())):
        size = int(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()]
    else:
        raise node.fail(f"{what} must be a size in bytes (1024, '64KiB', '1MiB'), not {value!r}")
    if size <= 0:
        raise node.fail(f"{what} must be positive")
    return size


def parse_seconds(node: Node, what: str) -> float:
    value = node.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.fullmatch(value.strip())):
        seconds = float(m.group(1)) * _DURATION_UNITS[(m.group(2) or "s").lower()]
    else:
        raise node.fail(f"{what} must be a duration (30, '30s', '5m', '1h'), not {value!r}")
    if not 0 < seconds < 10**9:
        raise node.fail(f"{what} must be positive")
    return seconds


class Fields:
    """The keys of one mapping node, read once each; :meth:`done` is implied by construction."""

    def __init__(self, node: Node, what: str, allowed: Collection[str] | None, required: Collection[str] = ()) -> None:
        if not isinstance(node.value, dict):
            raise node.fail(f"{what} must be a mapping, not {_kind(node.value)}")
        self.node = node
        self.what = what
        self.values: dict[str, Node] = node.value
        for key, child in self.values.items():
            if allowed is not None and key not in allowed:
                raise child.fail(f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in self.values:
                raise node.fail(f"{what} needs {key!r}")

    def __contains__(self, key: str) -> bool:
        return key in self.values

    def get(self, key: str) -> Node | None:
        return self.values.get(key)

    def text(self, key: str, default: str | None = None) -> str | None:
        node = self.values.get(key)
        if node is None:
            return default
        if not isinstance(node.value, str) or not node.value.strip():
            raise node.fail(f"{self.what}.{key} must be a non-empty string, not {_kind(node.value)}")
        return node.value

    def choice(self, key: str, options: tuple[T, ...]) -> T | None:
        node = self.values.get(key)
        if node is None:
            return None
        for option in options:
            if node.value == option:
                return option
        raise node.fail(f"{self.what}.{key} must be one of {', '.join(options)}, not {node.value!r}")

    def integer(self, key: str, *, minimum: int = 1) -> int | None:
        node = self.values.get(key)
        if node is None:
            return None
        if not isinstance(node.value, int) or isinstance(node.value, bool) or node.value < minimum:
            raise node.fail(f"{self.what}.{key} must be an integer ≥ {minimum}, not {node.value!r}")
        return node.value

    def flag(self, key: str) -> bool | None:
        node = self.values.get(key)
        if node is None:
            return None
        if not isinstance(node.value, bool):
            raise node.fail(f"{self.what}.{key} must be true or false, not {node.value!r}")
        return node.value

    def strings(self, key: str) -> tuple[tuple[str, ...], Node] | None:
        """A string or a list of strings."""
        node = self.values.get(key)
        if node is None:
            return None
        items = node.value if isinstance(node.value, list) else [node]
        out: list[str] = []
        for item in items:
            value = item.value if isinstance(item, Node) else item
            if not isinstance(value, str) or not value:
                raise node.fail(f"{self.what}.{key} must be a string or a list of strings")
            out.append(value)
        if not out:
            raise node.fail(f"{self.what}.{key} must not be empty")
        return tuple(out), node

    def items(self, key: str) -> list[Node]:
        node = self.values.get(key)
        if node is None or node.value is None:
            return []
        if not isinstance(node.value, list):
            raise node.fail(f"{self.what}.{key} must be a list, not {_kind(node.value)}")
        return list(node.value)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
