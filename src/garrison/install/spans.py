"""Position-tracking syntax trees shared by the JSON(C), TOML and YAML span readers. Pure.

A span tree keeps only what a surgical edit needs: for every object member its key, where the key starts and
where a sibling may be inserted after it, and for every value its ``[start, end)`` character range in the
original text. Values themselves are read by the ordinary parsers; the span tree says *where* they are.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

__all__ = [
    "MAX_NESTING",
    "Member",
    "Node",
    "NodeKind",
    "Replacement",
    "apply_replacements",
    "find_containers",
    "line_of",
    "newline_of",
]

MAX_NESTING = 256
"""Deeper documents are refused by every span reader."""

NodeKind = Literal["object", "array", "scalar"]


@dataclass(slots=True, eq=False)
class Node:
    """One value. ``start``/``end`` are ``-1`` for a TOML table assembled from headers (it has no one span)."""

    kind: NodeKind
    start: int
    end: int
    members: list[Member] = field(default_factory=list)
    items: list[Node] = field(default_factory=list)
    style: str = ""
    """Format-specific layout: ``flow``/``block`` (YAML), ``inline``/``table`` (TOML), ``""`` (JSON)."""
    column: int = 0
    """Column of the value's first character (YAML block sequences are re-emitted at this column)."""

    def member(self, key: str) -> Member | None:
        for m in self.members:
            if m.key == key:
                return m
        return None

    def duplicate_keys(self) -> list[str]:
        seen: set[str] = set()
        twice: list[str] = []
        for m in self.members:
            if m.key in seen:
                twice.append(m.key)
            seen.add(m.key)
        return twice


@dataclass(slots=True, eq=False)
class Member:
    """``key: value`` inside an object. ``after`` is where a sibling member may be inserted."""

    key: str
    key_start: int
    value: Node
    after: int
    key_end: int = -1
    prefix: str = ""
    """TOML: the dotted-key text before this key on its line (``ctx.`` in ``ctx.command = …``)."""
    indent: str = ""
    """The whitespace that starts the member's line (TOML/YAML block layouts)."""
    inline: bool = False
    """Siblings are separated by commas (JSON objects, TOML inline tables, YAML flow mappings)."""


@dataclass(frozen=True, slots=True)
class Replacement:
    """Replace ``text[start:end]`` with ``new``; ``start == end`` inserts."""

    start: int
    end: int
    new: str


def apply_replacements(text: str, replacements: Sequence[Replacement]) -> str:
    """Apply non-overlapping replacements (any order given). Overlaps raise ``ValueError``."""
    ordered = sorted(replacements, key=lambda r: (r.start, r.end))
    out: list[str] = []
    pos = 0
    for rep in ordered:
        if rep.start < pos or rep.end < rep.start:
            raise ValueError(f"overlapping edits at character {rep.start}")
        out.append(text[pos:rep.start])
        out.append(rep.new)
        pos = rep.end
    out.append(text[pos:])
    return "".join(out)


def line_of(text: str, index: int) -> int:
    """1-based line number of character ``index``."""
    return bisect.bisect_left(_line_breaks(text), max(index, 0)) + 1


@lru_cache(maxsize=4)
def _line_breaks(text: str) -> tuple[int, ...]:
    return tuple(m.start() for m in re.finditer("\n", text))


@lru_cache(maxsize=4)
def newline_of(text: str) -> str:
    """The text's line break: ``\\r\\n`` when it uses them, else ``\\n``."""
    return "\r\n" if "\r\n" in text else "\n"


def _lookup(node: Node, key: str, rest: tuple[str, ...]) -> Iterator[tuple[Member, tuple[str, ...]]]:
    """Members matching ``key``, also as a flat dotted key (``"mcp.servers"``), longest match first."""
    for width in range(len(rest), 0, -1):
        flat = node.member(".".join((key, *rest[:width])))
        if flat is not None:
            yield flat, rest[width:]
    exact = node.member(key)
    if exact is not None:
        yield exact, rest


def find_containers(root: Node, keys: Sequence[str], scope: str) -> Iterator[tuple[Node, tuple[str, ...], str]]:
    """``(container, concrete key path, scope)`` for every match of ``keys``, as discovery walks them.

    A ``*`` segment walks every member; the member's key names the project (``project:<key>``).
    """

    def walk(node: Node, segs: tuple[str, ...], trail: tuple[str, ...],
             scope: str) -> Iterator[tuple[Node, tuple[str, ...], str]]:
        if not segs:
            yield node, trail, scope
            return
        if node.kind != "object":
            return
        head, rest = segs[0], segs[1:]
        if head == "*":
            for m in node.members:
                yield from walk(m.value, rest, (*trail, m.key), f"project:{m.key}")
            return
        for m, remaining in _lookup(node, head, rest):
            yield from walk(m.value, remaining, (*trail, m.key), scope)

    yield from walk(root, tuple(keys), (), scope)
