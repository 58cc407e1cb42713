"""Sigma values and field modifiers, compiled to predicates over one event.

A detection item is ``Field|mod1|mod2: value-or-list``. :func:`compile_item` turns it into a
:data:`Predicate` and an atom tree (:mod:`garrison.detect.atoms`): the lowercase literals that must occur in
the field for the item to match. The engine feeds atoms to a multi-pattern prefilter so that an event only
meets the rules it could match.

Matching is case-insensitive unless ``cased`` or ``re`` is given, as the Sigma specification says.
Predicates read ``low`` (field name → lowercased text, or a tuple of texts for list values) and ``raw``
(the event's own field mapping); both are prepared once per event by :mod:`garrison.detect.engine`.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from garrison.detect.atoms import AtomTree, and_tree, or_tree, regex_guards, regex_literals
from garrison.detect.strings import (
    classify,
    string_expr,
    string_patterns,
    string_test,
    wrap,
)
from garrison.errors import RuleError

__all__ = [
    "Predicate",
    "compile_item",
    "compile_keywords",
    "field_value",
    "item_code",
    "text_of",
]

Predicate = Callable[[Mapping[str, Any], Mapping[str, Any]], bool]
"""``(low, raw) -> bool``."""
MAX_REGEX_LENGTH = 4096
MAX_GUARDS = 4
_KNOWN = {
    "contains", "startswith", "endswith", "all", "re", "i", "m", "s", "base64", "base64offset",
    "utf16le", "utf16be", "utf16", "wide", "windash", "cidr", "exists", "fieldref", "gt", "gte", "lt", "lte",
    "cased", "expand",
}


def text_of(value: Any) -> str | tuple[str, ...] | None:
    """Event value → comparable text: booleans as ``true``/``false``, numbers in decimal, lists as tuples."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            text = text_of(item)
            if isinstance(text, str):
                out.append(text)
            elif text is not None:
                out.extend(text)
        return tuple(out)
    return str(value)


def field_value(fields: Mapping[str, Any], name: str) -> Any:
    """``fields[name]``, following dots into nested mappings (``requestParameters.userName``)."""
    value = fields.get(name)
    if value is not None or "." not in name:
        return value
    node: Any = fields
    for part in name.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _over_text(name: str, test: Callable[[str], bool], *, cased: bool) -> Predicate:
    if cased:
        def cased_pred(low: Mapping[str, Any], raw: Mapping[str, Any]) -> bool:
            value = text_of(field_value(raw, name))
            if value is None:
                return False
            if isinstance(value, str):
                return test(value)
            return any(test(v) for v in value)
        return cased_pred

    def pred(low: Mapping[str, Any], raw: Mapping[str, Any]) -> bool:
        value = low.get(name)
        if value is None:
            return False
        if type(value) is str:
            return test(value)
        return any(test(v) for v in value)
    return pred


def _regex_flags(modifiers: Sequence[str]) -> int:
    flags = 0
    if "i" in modifiers:
        flags |= re.IGNORECASE
    if "m" in modifiers:
        flags |= re.MULTILINE
    if "s" in modifiers:
        flags |= re.DOTALL
    return flags


def _compile_regex(name: str, values: list[Any], modifiers: Sequence[str],
                   where: str) -> tuple[Predicate, AtomTree]:
    regexes = []
    for value in values:
        if not isinstance(value, str) or len(value) > MAX_REGEX_LENGTH:
            raise RuleError(f"field {name!r}: 're' needs a string of at most {MAX_REGEX_LENGTH} chars",
                            where=where)
        try:
            regexes.append(re.compile(value, _regex_flags(modifiers)))
        except re.error as err:
            raise RuleError(f"field {name!r}: bad regular expression {value!r}: {err}", where=where) from None
    combine = all if "all" in modifiers else any
    guarded = [_guarded(r) for r in regexes]

    def test(v: str) -> bool:
        return combine(g(v) for g in guarded)
    trees: list[AtomTree] = []
    for r in regexes:
        literals = regex_literals(r.pattern, r.flags)
        trees.append(frozenset((name, lit) for lit in literals) if literals else None)
    tree = and_tree(trees) if "all" in modifiers else or_tree(trees)
    return _over_text(name, test, cased=True), tree


def _guarded(regex: re.Pattern[str]) -> Callable[[str], bool]:
    """``regex.search`` behind cheap ``in`` checks for literals every match must contain."""
    sets = regex_guards(regex.pattern, regex.flags)
    counts = Counter(next(iter(s)) for s in sets if len(s) == 1)
    singles = tuple(sorted(counts.items(), key=lambda item: -item[1])[:MAX_GUARDS])
    options = tuple(tuple(s) for s in sets if len(s) > 1)[:MAX_GUARDS]
    search = regex.search
    if not singles and not options:
        return lambda v: search(v) is not None

    def test(v: str) -> bool:
        for literal, times in singles:
            if (v.count(literal) < times) if times > 1 else (literal not in v):
                return False
        for choices in options:
            if not any(literal in v for literal in choices):
                return False
        return search(v) is not None
    return test


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _compile_compare(name: str, values: list[Any], op: str, where: str) -> Predicate:
    limits = [_number(v) for v in values]
    if any(limit is None for limit in limits):
        raise RuleError(f"field {name!r}: {op!r} needs numbers", where=where)
    checks: dict[str, Callable[[float, float], bool]] = {
        "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b,
    }
    check = checks[op]

    def pred(low: Mapping[str, Any], raw: Mapping[str, Any]) -> bool:
        num = _number(field_value(raw, name))
        return num is not None and any(check(num, limit) for limit in limits if limit is not None)
    return pred


def _compile_cidr(name: str, values: list[Any], where: str) -> Predicate:
    try:
        nets = [ipaddress.ip_network(str(v), strict=False) for v in values]
    except ValueError as err:
        raise RuleError(f"field {name!r}: bad network: {err}", where=where) from None

    def pred(low: Mapping[str, Any], raw: Mapping[str, Any]) -> bool:
        value = text_of(field_value(raw, name))
        for text in (value,) if isinstance(value, str) else value or ():
            try:
                addr = ipaddress.ip_address(text.strip().strip("[]"))
            except ValueError:
                continue
            if any(addr.version == net.version and addr in net for net in nets):
                return True
        return False
    return pred


def _compile_fieldref(name: str, values: list[Any], modifiers: Sequence[str], where: str) -> Predicate:
    refs = [str(v) for v in values]
    cased = "cased" in modifiers

    def norm(value: Any) -> str | None:
        text = text_of(value)
        if not isinstance(text, str):
            return None
        return text if cased else text.lower()

    def pred(low: Mapping[str, Any], raw: Mapping[str, Any]) -> bool:
        mine = norm(field_value(raw, name))
        if mine is None:
            return False
        for ref in refs:
            other = norm(field_value(raw, ref))
            if other is None:
                continue
            if "contains" in modifiers and other in mine:
                return True
            if "startswith" in modifiers and mine.startswith(other):
                return True
            if "endswith" in modifiers and mine.endswith(other):
                return True
            if mine == other:
                return True
        return False
    return pred


def _compile_null(name: str) -> Predicate:
    def pred(low: Mapping[str, Any], raw: Mapping[str, Any]) -> bool:
        return field_value(raw, name) is None
    return pred


def compile_item(name: str, modifiers: Sequence[str], values: list[Any],
                 placeholders: Mapping[str, Sequence[str]], where: str) -> tuple[Predicate, AtomTree]:
    """Compile ``name|modifiers: values`` (values already a list; a list means OR, or AND with ``all``)."""
    unknown = [m for m in modifiers if m not in _KNOWN]
    if unknown:
        raise RuleError(f"field {name!r}: unsupported modifier {unknown[0]!r}", where=where)
    if not values:
        raise RuleError(f"field {name!r}: empty value list", where=where)
    if "exists" in modifiers:
        want = values[0]
        if not isinstance(want, bool):
            raise RuleError(f"field {name!r}: 'exists' needs true or false", where=where)
        return (lambda low, raw: (field_value(raw, name) is not None) is want), None
    if "fieldref" in modifiers:
        return _compile_fieldref(name, values, modifiers, where), None
    if "re" in modifiers:
        return _compile_regex(name, values, modifiers, where)
    for op in ("gt", "gte", "lt", "lte"):
        if op in modifiers:
            return _compile_compare(name, values, op, where), None
    if "cidr" in modifiers:
        return _compile_cidr(name, values, where), None
    present = [v for v in values if v is not None]
    if present and len(present) != len(values):
        null_pred = _compile_null(name)
        rest_pred, _ = compile_item(name, modifiers, present, placeholders, where)
        return (lambda low, raw: null_pred(low, raw) or rest_pred(low, raw)), None
    if not present:
        return _compile_null(name), None
    patterns = string_patterns(name, values, modifiers, placeholders, where)
    head = "contains" in modifiers or "endswith" in modifiers
    tail = "contains" in modifiers or "startswith" in modifiers
    patterns = [wrap(p, head=head, tail=tail) for p in patterns]
    cased = "cased" in modifiers
    require_all = "all" in modifiers and len(patterns) > 1
    test = string_test(patterns, cased=cased, require_all=require_all)
    atoms = [(name, p.longest_literal().lower()) for p in patterns]
    tree = and_tree([frozenset({atom}) for atom in atoms]) if require_all else frozenset(atoms)
    return _over_text(name, test, cased=cased), tree


def item_code(name: str, modifiers: Sequence[str], values: list[Any], placeholders: Mapping[str, Sequence[str]],
              where: str, const: Callable[[Any], str]) -> str | None:
    """Python source for a plain case-insensitive string item over ``low`` (``None`` for other items, which
    run as closures). ``const`` names a value in the generated function's namespace."""
    plain = {"contains", "startswith", "endswith", "all", "windash", "base64", "base64offset", "utf16le",
             "utf16be", "utf16", "wide", "expand"}
    if any(m not in plain for m in modifiers) or any(v is None for v in values) or not values:
        return None
    patterns = string_patterns(name, values, modifiers, placeholders, where)
    head = "contains" in modifiers or "endswith" in modifiers
    tail = "contains" in modifiers or "startswith" in modifiers
    patterns = [wrap(p, head=head, tail=tail) for p in patterns]
    shapes = classify(patterns, cased=False)
    require_all = "all" in modifiers and len(patterns) > 1
    one = string_expr(shapes, "_v", require_all, const)
    each = string_expr(shapes, "_x", require_all, const)
    return (f"((_v := low.get({name!r})) is not None and "
            f"({one} if _v.__class__ is str else any({each} for _x in _v)))")


def compile_keywords(values: list[Any], modifiers: Sequence[str], where: str) -> Predicate:
    """A keyword list: a value occurs (``contains`` implied) in any string field; with ``all``, every value
    occurs somewhere in the event (not necessarily in the same field)."""
    patterns = string_patterns("keywords", [v for v in values if v is not None], modifiers, {}, where)
    patterns = [wrap(p, head=True, tail=True) for p in patterns]
    cased = "cased" in modifiers
    groups = [[p] for p in patterns] if "all" in modifiers else [patterns]
    tests = [string_test(group, cased=cased, require_all=False) for group in groups]

    def texts(raw: Mapping[str, Any]) -> list[str]:
        out: list[str] = []
        for value in raw.values():
            text = text_of(value)
            items = (text,) if isinstance(text, str) else text or ()
            out.extend(items if cased else [item.lower() for item in items])
        return out

    def pred(low: Mapping[str, Any], raw: Mapping[str, Any]) -> bool:
        values = texts(raw)
        return all(any(test(v) for v in values) for test in tests)
    return pred
