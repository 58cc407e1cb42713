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

from garrison.detect.atoms import AtomTree, and_tree, or_tree
from garrison.detect.condition import And, Ident, Node, Not, Of, Or, parse_condition
from garrison.detect.rule import SigmaRule
from garrison.detect.strings import MANY_NEEDLES
from garrison.detect.values import Predicate, compile_item, compile_keywords, item_code
from garrison.errors import RuleError

__all__ = ["CompiledRule", "compile_rule"]

MAX_ITEMS = 10_000
MAX_GENERATED_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: SigmaRule
    matches: Predicate
    """``matches(low, raw)``; ``low`` holds the lowered texts of :attr:`fields`, ``raw`` the event fields."""
    atom_tree: AtomTree
    """Literals that must occur for a match (:mod:`garrison.detect.atoms`); the engine indexes one choice."""
    fields: frozenset[str]
    """Field names the rule reads (the engine lowers only these)."""


def _all(preds: Sequence[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda low, raw: a(low, raw) and b(low, raw)
    if len(preds) == 3:
        a, b, c = preds
        return lambda low, raw: a(low, raw) and b(low, raw) and c(low, raw)
    items = tuple(preds)

    def every(low: Mapping[str, Any], raw: Mapping[str, Any]) -> bool:
        for p in items:
            if not p(low, raw):
                return False
        return True
    return every


def _any(preds: Sequence[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda low, raw: a(low, raw) or b(low, raw)
    if len(preds) == 3:
        a, b, c = preds
        return lambda low, raw: a(low, raw) or b(low, raw) or c(low, raw)
    items = tuple(preds)

    def some(low: Mapping[str, Any], raw: Mapping[str, Any]) -> bool:
        for p in items:
            if p(low, raw):
                return True
        return False
    return some


@dataclass(frozen=True, slots=True)
class _Part:
    pred: Predicate
    tree: AtomTree
    cost: float
    """Rough evaluation cost: AND and OR evaluate their cheapest children first."""
    code: str
    """The same test as a Python expression over ``low``/``raw`` (closures appear as named constants)."""


def _item_cost(modifiers: Sequence[str], values: list[Any], keywords: bool) -> float:
    if keywords:
        return 20.0
    if "re" in modifiers:
        return 8.0 * len(values)
    if "cidr" in modifiers or "fieldref" in modifiers or "windash" in modifiers or "base64offset" in modifiers:
        return 4.0
    if "contains" in modifiers:
        return 3.0 if len(values) > MANY_NEEDLES else 1.0 + 0.3 * len(values)
    return 1.0


def _and(parts: list[_Part]) -> _Part:
    ordered = sorted(parts, key=lambda p: p.cost)
    code = ordered[0].code if len(ordered) == 1 else "(" + " and ".join(p.code for p in ordered) + ")"
    return _Part(_all([p.pred for p in ordered]), and_tree([p.tree for p in parts]), sum(p.cost for p in parts),
                 code)


def _or(parts: list[_Part]) -> _Part:
    ordered = sorted(parts, key=lambda p: p.cost)
    code = ordered[0].code if len(ordered) == 1 else "(" + " or ".join(p.code for p in ordered) + ")"
    return _Part(_any([p.pred for p in ordered]), or_tree([p.tree for p in parts]), sum(p.cost for p in parts),
                 code)


class _Builder:
    def __init__(self, rule: SigmaRule, placeholders: Mapping[str, Sequence[str]]) -> None:
        self.rule = rule
        self.where = rule.where
        self.placeholders = placeholders
        self.fields: set[str] = set()
        self.count = 0
        self.idents: dict[str, _Part] = {}
        self.namespace: dict[str, Any] = {}

    def const(self, value: Any) -> str:
        """A name for ``value`` in the generated function's namespace."""
        name = f"_k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def closure(self, pred: Predicate, tree: AtomTree, cost: float) -> _Part:
        return _Part(pred, tree, cost, f"{self.const(pred)}(low, raw)")

    def item(self, key: str, value: Any) -> _Part:
        self.count += 1
        if self.count > MAX_ITEMS:
            raise RuleError(f"rule has more than {MAX_ITEMS} detection items", where=self.where)
        name, *modifiers = key.split("|")
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, Mapping | list) for v in values):
            raise RuleError(f"field {key!r}: values must be scalars", where=self.where)
        cost = _item_cost(modifiers, values, keywords=not name)
        if not name:
            return self.closure(compile_keywords(values, modifiers, self.where), None, cost)
        self.fields.add(name)
        if "fieldref" in modifiers:
            self.fields.update(str(v) for v in values)
        pred, tree = compile_item(name, modifiers, values, self.placeholders, self.where)
        code = item_code(name, modifiers, values, self.placeholders, self.where, self.const)
        return _Part(pred, tree, cost, code) if code is not None else self.closure(pred, tree, cost)

    def mapping(self, body: Mapping[str, Any]) -> _Part:
        if not body:
            raise RuleError("empty search identifier", where=self.where)
        return _and([self.item(str(k), v) for k, v in body.items()])

    def identifier(self, name: str, body: Any) -> _Part:
        if isinstance(body, Mapping):
            return self.mapping(body)
        if isinstance(body, list):
            maps = [b for b in body if isinstance(b, Mapping)]
            scalars = [b for b in body if not isinstance(b, Mapping | list)]
            if len(maps) + len(scalars) != len(body) or not body:
                raise RuleError(f"search identifier {name!r} mixes nested lists", where=self.where)
            parts = [self.mapping(m) for m in maps]
            if scalars:
                parts.append(self.closure(compile_keywords(scalars, [], self.where), None, 20.0))
            return _or(parts)
        if isinstance(body, str | int):
            return self.closure(compile_keywords([body], [], self.where), None, 20.0)
        raise RuleError(f"search identifier {name!r} has an unsupported shape", where=self.where)

    def node(self, node: Node) -> _Part:
        if isinstance(node, Ident):
            if node.name not in self.idents:
                raise RuleError(f"condition names unknown search identifier {node.name!r}", where=self.where)
            return self.idents[node.name]
        if isinstance(node, Not):
            inner = self.node(node.child)
            pred = inner.pred
            return _Part(lambda low, raw: not pred(low, raw), None, inner.cost, f"(not {inner.code})")
        if isinstance(node, And):
            return _and([self.node(child) for child in node.children])
        if isinstance(node, Or):
            return _or([self.node(child) for child in node.children])
        parts = [self.idents[n] for n in self._expand_of(node)]
        return _and(parts) if node.quantifier == "all" else _or(parts)

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
    top = _or([builder.node(parse_condition(text, where=rule.where)) for text in rule.conditions])
    return CompiledRule(rule, _generate(top, builder.namespace), top.tree, frozenset(builder.fields))


def _generate(top: _Part, namespace: dict[str, Any]) -> Predicate:
    """One Python function for the whole rule: no call per item for plain string tests. Falls back to the
    composed closures when the expression is too large or too deep for the compiler."""
    if len(top.code) > MAX_GENERATED_CHARS:
        return top.pred
    source = f"def _rule(low, raw):\n    return bool({top.code})\n"
    scope = dict(namespace)
    try:
        exec(compile(source, "<sigma-rule>", "exec"), scope)  # noqa: S102 - source built from escaped literals
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return top.pred
    generated: Predicate = scope["_rule"]
    return generated
