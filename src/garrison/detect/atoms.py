"""Necessary literals ("atoms") for the engine's prefilter, and how a rule's atoms are chosen.

An *atom tree* records, for one rule, which lowercase literals must occur in which fields for it to match:
a leaf is a set of ``(field, literal)`` of which at least one must occur; ``("and", ...)`` means every child
must hold (any one or two children's sets can then index the rule); ``("or", ...)`` means one child holds (the
union of their sets is needed); ``None`` means "no literal is necessary" (``re`` without literals, ``exists``,
a ``not``). :func:`choose_atoms` picks, for every ``and``, the children that are cheapest by a cost function the
engine derives from how many rules share a literal (literals such as ``\\powershell.exe`` are common).

:func:`regex_literals` finds literals that every match of a regular expression must contain, from the parsed
pattern: runs of literal characters in the top-level sequence, branches as alternatives, and the bodies of
repeats that occur at least once.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any, Literal

__all__ = [
    "MIN_ATOM_LENGTH",
    "AtomSet",
    "AtomTree",
    "and_tree",
    "choose_atoms",
    "or_tree",
    "regex_guards",
    "regex_literals",
    "tree_atoms",
    "usable_literal",
]

MIN_ATOM_LENGTH = 3
AtomSet = frozenset[tuple[str, str]]
AtomTree = AtomSet | tuple[Literal["and", "or"], tuple["AtomTree", ...]] | None

# The standard library's own regex parser (``re._parser`` since Python 3.11, which Garrison requires).
_p: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

MAX_REGEX_NODES = 2_000


def usable_literal(literal: str) -> bool:
    """Long enough to be selective: three characters, or any non-ASCII character (emoji, homoglyphs, RTLO)."""
    return len(literal) >= MIN_ATOM_LENGTH or (bool(literal) and not literal.isascii())


def and_tree(children: list[AtomTree]) -> AtomTree:
    usable = [c for c in children if c is not None]
    if not usable:
        return None
    return usable[0] if len(usable) == 1 else ("and", tuple(usable))


def or_tree(children: list[AtomTree]) -> AtomTree:
    if any(c is None for c in children) or not children:
        return None
    return children[0] if len(children) == 1 else ("or", tuple(children))


def _seq_literals(items: Any, budget: list[int], min_len: int = MIN_ATOM_LENGTH,
                  lower: bool = True) -> list[frozenset[str]] | None:
    """Alternative literal sets for a parsed sequence: each set is "one of these occurs"; all sets hold."""
    out: list[frozenset[str]] = []
    run: list[str] = []

    def close() -> None:
        if len(run) >= min_len:
            text = "".join(run)
            out.append(frozenset({text.lower() if lower else text}))
        run.clear()

    for op, arg in items:
        budget[0] -= 1
        if budget[0] < 0:
            return None
        if op is _c.LITERAL:
            run.append(chr(arg))
            continue
        close()
        if op is _c.SUBPATTERN:
            sub = _seq_literals(arg[-1], budget, min_len, lower)
            if sub:
                out.extend(sub)
        elif op is _c.BRANCH:
            options: set[str] = set()
            for branch in arg[1]:
                sub = _seq_literals(branch, budget, min_len, lower)
                if not sub:
                    options = set()
                    break
                options |= min(sub, key=lambda s: (len(s), -min(len(x) for x in s)))
            if options:
                out.append(frozenset(options))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)) and arg[0] >= 1:
            sub = _seq_literals(arg[2], budget, min_len, lower)
            if sub:
                out.extend(sub)
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            sub = _seq_literals(arg, budget, min_len, lower)
            if sub:
                out.extend(sub)
    close()
    return out


def regex_literals(pattern: str, flags: int = 0) -> frozenset[str] | None:
    """Lowercase literals, one of which occurs in every match of ``pattern`` (``None`` if none is known)."""
    try:
        parsed = _p.parse(pattern, flags)
    except (re.error, RecursionError, OverflowError):
        return None
    sets = _seq_literals(parsed.data if hasattr(parsed, "data") else parsed, [MAX_REGEX_NODES])
    if not sets:
        return None
    return max(sets, key=lambda s: (min(len(x) for x in s), -len(s)))


def regex_guards(pattern: str, flags: int = 0) -> list[frozenset[str]]:
    """Literal sets (any length, original case) that every match contains, one per disjoint part of the
    match (a literal listed N times occurs N times): cheap tests that can rule a text out before the regex
    runs. With ``re.IGNORECASE`` only case-less literals are kept."""
    try:
        parsed = _p.parse(pattern, flags)
    except (re.error, RecursionError, OverflowError):
        return []
    sets = _seq_literals(parsed.data if hasattr(parsed, "data") else parsed, [MAX_REGEX_NODES], 1, False) or []
    if flags & re.IGNORECASE:
        sets = [s for s in sets if all(x.lower() == x.upper() for x in s)]
    return sets


def tree_atoms(tree: AtomTree) -> set[tuple[str, str]]:
    """Every atom anywhere in ``tree`` (for document-frequency counts)."""
    if tree is None:
        return set()
    if isinstance(tree, frozenset):
        return set(tree)
    out: set[tuple[str, str]] = set()
    for child in tree[1]:
        out |= tree_atoms(child)
    return out


def choose_atoms(tree: AtomTree, cost: Callable[[tuple[str, str]], float],
                 limit: int = 2) -> list[AtomSet] | None:
    """Up to ``limit`` atom sets that must *all* be hit (each set by one of its atoms) for a match, the
    cheapest by ``cost``; ``None`` when the tree offers none and the rule must run for every event."""
    if tree is None:
        return None
    if isinstance(tree, frozenset):
        if not tree or not all(usable_literal(lit) for _, lit in tree):
            return None
        return [tree]
    kind, children = tree
    chosen = [choose_atoms(child, cost, limit) for child in children]

    def price(atoms: AtomSet) -> float:
        return sum(cost(a) for a in atoms)

    if kind == "or":
        if any(c is None for c in chosen):
            return None
        return [frozenset().union(*[min(c, key=price) for c in chosen if c])]
    usable = sorted({s for c in chosen if c is not None for s in c}, key=lambda s: (price(s), sorted(s)))
    return usable[:limit] or None
