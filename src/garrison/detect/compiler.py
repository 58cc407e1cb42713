"""Compile a :class:`SigmaRule` to one closure over an event, plus the atoms its prefilter needs.

Search identifiers compile once (maps are AND, lists of maps OR, bare lists are keywords); the condition tree
then composes their predicates. Alongside, a *necessary atom set* is derived: literals of which at least one
must occur for the rule to match (AND keeps the most selective child, OR unions, NOT gives up). Rules without
one are evaluated for every event of their log source.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from garrison.detect.condition import And, Ident, Node, Not, Of, Or, parse_condition
from garrison.detect.rule import SigmaRule
from garrison.detect.atoms import AtomTree, and_tree, or_tree
from garrison.detect.values import Predicate, compile_item, compile_keywords
from garrison.errors import RuleError

__all__ = ["CompiledRule", "compile_rule"]

MAX_ITEMS = 10_000


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: SigmaRule
    matches: Predicate
    """``matches(low, raw)``; ``low`` holds the lowered texts of :attr:`fields`, ``raw`` the event fields."""
    atom_tree: AtomTree
    """Literals that must occur for a match (:mod:`garrison.detect.atoms`); the engine indexes one choice."""
    fields: frozenset[str]
    """Field names the rule reads (the engine lowers only these)."""


def _always_false(low: Mapping[str, Any], raw: Mapping[str, Any]) -> bool:
    return False


def _all(preds: Sequence[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    items = tuple(preds)
    return lambda low, raw: all(p(low, raw) for p in items)


def _any(preds: Sequence[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    items = tuple(preds)
    return lambda low, raw: any(p(low, raw) for p in items)


class _Builder:
    def __init__(self, rule: SigmaRule, placeholders: Mapping[str, Sequence[str]]) -> None:
        self.rule = rule
        self.where = rule.where
        self.placeholders = placeholders
        self.fields: set[str] = set()
        self.count = 0
        self.idents: dict[str, tuple[Predicate, AtomTree]] = {}

    def item(self, key: str, value: Any) -> tuple[Predicate, AtomTree]:
        self.count += 1
        if self.count > MAX_ITEMS:
            raise RuleError(f"rule has more than {MAX_ITEMS} detection items", where=self.where)
        name, *modifiers = key.split("|")
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, Mapping | list) for v in values):
            raise RuleError(f"field {key!r}: values must be scalars", where=self.where)
        if not name:
            return compile_keywords(values, modifiers, self.where), None
        self.fields.add(name)
        if "fieldref" in modifiers:
            self.fields.update(str(v) for v in values)
        return compile_item(name, modifiers, values, self.placeholders, self.where)

    def mapping(self, body: Mapping[str, Any]) -> tuple[Predicate, AtomTree]:
        if not body:
            raise RuleError("empty search identifier", where=self.where)
        compiled = [self.item(str(k), v) for k, v in body.items()]
        return _all([p for p, _ in compiled]), and_tree([a for _, a in compiled])

    def identifier(self, name: str, body: Any) -> tuple[Predicate, AtomTree]:
        if isinstance(body, Mapping):
            return self.mapping(body)
        if isinstance(body, list):
            maps = [b for b in body if isinstance(b, Mapping)]
            scalars = [b for b in body if not isinstance(b, Mapping | list)]
            if len(maps) + len(scalars) != len(body) or not body:
                raise RuleError(f"search identifier {name!r} mixes nested lists", where=self.where)
            parts = [self.mapping(m) for m in maps]
            if scalars:
                parts.append((compile_keywords(scalars, [], self.where), None))
            return _any([p for p, _ in parts]), or_tree([a for _, a in parts])
        if isinstance(body, str | int):
            return compile_keywords([body], [], self.where), None
        raise RuleError(f"search identifier {name!r} has an unsupported shape", where=self.where)

    def node(self, node: Node) -> tuple[Predicate, AtomTree]:
        if isinstance(node, Ident):
            if node.name not in self.idents:
                raise RuleError(f"condition names unknown search identifier {node.name!r}", where=self.where)
            return self.idents[node.name]
        if isinstance(node, Not):
            inner, _ = self.node(node.child)
            return (lambda low, raw: not inner(low, raw)), None
        if isinstance(node, And | Or):
            parts = [self.node(child) for child in node.children]
            preds = [p for p, _ in parts]
            if isinstance(node, And):
                return _all(preds), and_tree([a for _, a in parts])
            return _any(preds), or_tree([a for _, a in parts])
        names = self._expand_of(node)
        parts = [self.idents[n] for n in names]
        if node.quantifier == "all":
            return _all([p for p, _ in parts]), and_tree([a for _, a in parts])
        return _any([p for p, _ in parts]), or_tree([a for _, a in parts])

    def _expand_of(self, node: Of) -> list[str]:
        if node.pattern.lower() == "them":
            names = [n for n in self.idents if not n.startswith("_")]
        else:
            names = [n for n in self.idents if fnmatch.fnmatchcase(n, node.pattern)]
        if not names:
            raise RuleError(f"'{node.quantifier} of {node.pattern}' matches no search identifier",
                            where=self.where)
        return names


def compile_rule(rule: SigmaRule, *, placeholders: Mapping[str, Sequence[str]] | None = None) -> CompiledRule:
    """Compile ``rule``; raise :class:`RuleError` (naming the rule's file) for anything unsupported."""
    builder = _Builder(rule, placeholders or {})
    for name, body in rule.detection.items():
        builder.idents[name] = builder.identifier(name, body)
    parts = [builder.node(parse_condition(text, where=rule.where)) for text in rule.conditions]
    matches = _any([p for p, _ in parts]) if parts else _always_false
    return CompiledRule(rule, matches, or_tree([a for _, a in parts]), frozenset(builder.fields))
