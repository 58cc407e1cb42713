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

import base64
import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick_rs

from garrison.detect.atoms import AtomTree, and_tree, or_tree, regex_guards, regex_literals
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
MANY_NEEDLES = 6
"""Above this many ``contains`` values, one Aho-Corasick pass replaces the loop."""
STAR = object()
QMARK = object()
Part = str | object

_KNOWN = {
    "contains", "startswith", "endswith", "all", "re", "i", "m", "s", "base64", "base64offset",
    "utf16le", "utf16be", "utf16", "wide", "windash", "cidr", "exists", "fieldref", "gt", "gte", "lt", "lte",
    "cased", "expand",
}
_ENCODINGS = {"utf16le": "utf-16-le", "wide": "utf-16-le", "utf16be": "utf-16-be", "utf16": "utf-16"}
_DASHES = ("-", "/", "\u2013", "\u2014", "\u2015")
_WINDASH = re.compile(r"(?<![\w-])[-/](?=\w)")


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


def _parse_sigma_string(text: str) -> list[Part]:
    """Split a Sigma string into literal chunks and wildcards; ``\\`` escapes ``*``, ``?`` and ``\\``."""
    parts: list[Part] = []
    buf: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "*?\\":
            buf.append(text[i + 1])
            i += 2
            continue
        if ch in "*?":
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(STAR if ch == "*" else QMARK)
        else:
            buf.append(ch)
        i += 1
    if buf:
        parts.append("".join(buf))
    return parts


@dataclass(frozen=True, slots=True)
class _Pattern:
    parts: tuple[Part, ...]

    @property
    def literal(self) -> str:
        return "".join(p for p in self.parts if isinstance(p, str))

    def longest_literal(self) -> str:
        chunks = [p for p in self.parts if isinstance(p, str)]
        return max(chunks, key=len) if chunks else ""


def _wrap(pattern: _Pattern, *, head: bool, tail: bool) -> _Pattern:
    parts = list(pattern.parts)
    if head and (not parts or parts[0] is not STAR):
        parts.insert(0, STAR)
    if tail and (not parts or parts[-1] is not STAR):
        parts.append(STAR)
    return _Pattern(tuple(parts))


def _plain(pattern: _Pattern, modifier: str, where: str) -> str:
    if any(not isinstance(p, str) for p in pattern.parts):
        raise RuleError(f"modifier {modifier!r} cannot take wildcards", where=where)
    return pattern.literal


def _base64_offsets(data: bytes) -> list[str]:
    """The three base64 renderings of ``data`` at byte offsets 0, 1, 2, trimmed to their stable middle."""
    out = []
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode("ascii")
        start = (0, 2, 3)[shift]
        end_trim = (0, 3, 2)[(len(data) + shift) % 3]
        out.append(encoded[start : len(encoded) - end_trim] if end_trim else encoded[start:])
    return out


def _windash(pattern: _Pattern) -> list[_Pattern]:
    variants = []
    for dash in _DASHES:
        parts = tuple(_WINDASH.sub(dash, p) if isinstance(p, str) else p for p in pattern.parts)
        variants.append(_Pattern(parts))
    unique: dict[tuple[Part, ...], _Pattern] = {v.parts: v for v in variants}
    return list(unique.values())


def _expand(pattern: _Pattern, placeholders: Mapping[str, Sequence[str]], where: str) -> list[_Pattern]:
    text_parts = [p for p in pattern.parts if isinstance(p, str)]
    names = re.findall(r"%(\w+)%", "".join(text_parts))
    if not names:
        return [pattern]
    out = [pattern]
    for name in names:
        if name not in placeholders:
            raise RuleError(f"placeholder %{name}% has no value (pass it with the rule set's placeholders)",
                            where=where)
        out = [_Pattern(tuple(p.replace(f"%{name}%", value) if isinstance(p, str) else p for p in pat.parts))
               for pat in out for value in placeholders[name]]
    return out


def _to_regex(pattern: _Pattern, flags: int) -> re.Pattern[str]:
    """A wildcard pattern as a regex for ``search``: no anchor where the pattern starts or ends with ``*``."""
    parts = list(pattern.parts)
    head = "" if parts and parts[0] is STAR else r"\A"
    tail = "" if parts and parts[-1] is STAR else r"\Z"
    while parts and parts[0] is STAR:
        parts.pop(0)
    while parts and parts[-1] is STAR:
        parts.pop()
    body = "".join(".*?" if p is STAR else "." if p is QMARK else re.escape(str(p)) for p in parts)
    return re.compile(f"{head}{body}{tail}", flags | re.DOTALL)


@dataclass(slots=True)
class _Shapes:
    """Wildcard patterns sorted by the cheapest ``str`` method that tests them."""

    eq: set[str]
    starts: list[str]
    ends: list[str]
    contains: list[str]
    regexes: list[re.Pattern[str]]


def _classify(patterns: list[_Pattern], *, cased: bool) -> _Shapes:
    eq: set[str] = set()
    starts: list[str] = []
    ends: list[str] = []
    contains: list[str] = []
    regexes: list[re.Pattern[str]] = []
    for pat in patterns:
        parts = [p.lower() if isinstance(p, str) and not cased else p for p in pat.parts]
        inner = parts[1:-1] if len(parts) >= 2 else []
        if all(isinstance(p, str) for p in parts):
            eq.add("".join(p for p in parts if isinstance(p, str)))
        elif all(p is STAR for p in parts):
            regexes.append(re.compile("", re.DOTALL))
        elif len(parts) == 2 and parts[0] is STAR and isinstance(parts[1], str):
            ends.append(parts[1])
        elif len(parts) == 2 and parts[1] is STAR and isinstance(parts[0], str):
            starts.append(parts[0])
        elif len(parts) == 3 and parts[0] is STAR and parts[2] is STAR and all(isinstance(p, str) for p in inner):
            contains.append(str(parts[1]))
        else:
            regexes.append(_to_regex(_Pattern(tuple(parts)), 0))
    return _Shapes(eq, starts, ends, contains, regexes)


def _string_test(patterns: list[_Pattern], *, cased: bool, require_all: bool) -> Callable[[str], bool]:
    """One test over a (lowered unless ``cased``) text for a list of wildcard patterns (OR, or AND)."""
    shapes = _classify(patterns, cased=cased)
    eq, starts, ends, contains, regexes = shapes.eq, shapes.starts, shapes.ends, shapes.contains, shapes.regexes
    if require_all:
        tests: list[Callable[[str], bool]] = [_equals(e) for e in eq]
        tests += [_starts(s) for s in starts] + [_ends(s) for s in ends]
        if len(contains) > MANY_NEEDLES:
            tests.append(_contains_all(contains))
        else:
            tests += [_contains_one(s) for s in contains]
        tests += [_searches(r) for r in regexes]
        return tests[0] if len(tests) == 1 else (lambda v: all(t(v) for t in tests))
    eq_set = frozenset(eq)
    starts_t, ends_t, regex_t = tuple(starts), tuple(ends), tuple(regexes)
    contains_any = _contains_any(contains)
    if not (eq_set or starts_t or ends_t or regex_t) and contains_any is not None:
        return contains_any

    def test(v: str) -> bool:
        if v in eq_set:
            return True
        if starts_t and v.startswith(starts_t):
            return True
        if ends_t and v.endswith(ends_t):
            return True
        if contains_any is not None and contains_any(v):
            return True
        return any(r.search(v) is not None for r in regex_t)

    return test


def _equals(expected: str) -> Callable[[str], bool]:
    return lambda v: v == expected


def _starts(prefix: str) -> Callable[[str], bool]:
    return lambda v: v.startswith(prefix)


def _ends(suffix: str) -> Callable[[str], bool]:
    return lambda v: v.endswith(suffix)


def _contains_one(needle: str) -> Callable[[str], bool]:
    return lambda v: needle in v


def _searches(regex: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda v: regex.search(v) is not None


def _automaton(needles: list[str]) -> ahocorasick_rs.AhoCorasick:
    return ahocorasick_rs.AhoCorasick(list(dict.fromkeys(needles)))


def _contains_any(needles: list[str]) -> Callable[[str], bool] | None:
    """``any(n in v for n in needles)``; one Aho-Corasick pass when there are many needles."""
    if not needles:
        return None
    if len(needles) == 1:
        needle = needles[0]
        return lambda v: needle in v
    if len(needles) <= MANY_NEEDLES:
        items = tuple(needles)
        return lambda v: any(n in v for n in items)
    automaton = _automaton(needles)
    return lambda v: bool(automaton.find_matches_as_indexes(v))


def _contains_all(needles: list[str]) -> Callable[[str], bool]:
    automaton = _automaton(needles)
    count = len(set(needles))
    return lambda v: len({m[0] for m in automaton.find_matches_as_indexes(v, overlapping=True)}) == count


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


def _string_patterns(name: str, values: list[Any], modifiers: Sequence[str],
                     placeholders: Mapping[str, Sequence[str]], where: str) -> list[_Pattern]:
    patterns: list[_Pattern] = []
    for value in values:
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float):
            text = str(value)
        elif isinstance(value, str):
            text = value
        else:
            raise RuleError(f"field {name!r}: unsupported value {value!r}", where=where)
        current = [_Pattern(tuple(_parse_sigma_string(text)))]
        encoded = False
        for mod in modifiers:
            if mod == "expand":
                current = [q for p in current for q in _expand(p, placeholders, where)]
            elif mod == "windash":
                current = [q for p in current for q in _windash(p)]
            elif mod in _ENCODINGS:
                current = [_Pattern((_plain(p, mod, where).encode(_ENCODINGS[mod]).decode("latin-1"),))
                           for p in current]
                encoded = True
            elif mod in ("base64", "base64offset"):
                data = [_plain(p, mod, where).encode("latin-1" if encoded else "utf-8") for p in current]
                if mod == "base64":
                    current = [_Pattern((base64.b64encode(d).decode("ascii"),)) for d in data]
                else:
                    current = [_Pattern((v,)) for d in data for v in _base64_offsets(d)]
        patterns.extend(current)
    return patterns


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
    patterns = _string_patterns(name, values, modifiers, placeholders, where)
    head = "contains" in modifiers or "endswith" in modifiers
    tail = "contains" in modifiers or "startswith" in modifiers
    patterns = [_wrap(p, head=head, tail=tail) for p in patterns]
    cased = "cased" in modifiers
    require_all = "all" in modifiers and len(patterns) > 1
    test = _string_test(patterns, cased=cased, require_all=require_all)
    atoms = [(name, p.longest_literal().lower()) for p in patterns]
    tree = and_tree([frozenset({atom}) for atom in atoms]) if require_all else frozenset(atoms)
    return _over_text(name, test, cased=cased), tree


def _string_expr(shapes: _Shapes, var: str, require_all: bool, const: Callable[[Any], str]) -> str:
    parts: list[str] = []
    if len(shapes.eq) == 1:
        parts.append(f"{var} == {next(iter(shapes.eq))!r}")
    elif shapes.eq:
        if require_all:
            parts += [f"{var} == {e!r}" for e in sorted(shapes.eq)]
        else:
            parts.append(f"{var} in {const(frozenset(shapes.eq))}")
    if shapes.starts:
        parts += ([f"{var}.startswith({x!r})" for x in shapes.starts] if require_all
                  else [f"{var}.startswith({tuple(shapes.starts)!r})"])
    if shapes.ends:
        parts += ([f"{var}.endswith({x!r})" for x in shapes.ends] if require_all
                  else [f"{var}.endswith({tuple(shapes.ends)!r})"])
    if len(shapes.contains) > MANY_NEEDLES:
        test = _contains_all(shapes.contains) if require_all else _contains_any(shapes.contains)
        parts.append(f"{const(test)}({var})")
    else:
        parts += [f"{n!r} in {var}" for n in shapes.contains]
    parts += [f"{const(r.search)}({var}) is not None" for r in shapes.regexes]
    return "(" + (" and " if require_all else " or ").join(parts) + ")"


def item_code(name: str, modifiers: Sequence[str], values: list[Any], placeholders: Mapping[str, Sequence[str]],
              where: str, const: Callable[[Any], str]) -> str | None:
    """Python source for a plain case-insensitive string item over ``low`` (``None`` for other items, which
    run as closures). ``const`` names a value in the generated function's namespace."""
    plain = {"contains", "startswith", "endswith", "all", "windash", "base64", "base64offset", "utf16le",
             "utf16be", "utf16", "wide", "expand"}
    if any(m not in plain for m in modifiers) or any(v is None for v in values) or not values:
        return None
    patterns = _string_patterns(name, values, modifiers, placeholders, where)
    head = "contains" in modifiers or "endswith" in modifiers
    tail = "contains" in modifiers or "startswith" in modifiers
    patterns = [_wrap(p, head=head, tail=tail) for p in patterns]
    shapes = _classify(patterns, cased=False)
    require_all = "all" in modifiers and len(patterns) > 1
    one = _string_expr(shapes, "_v", require_all, const)
    each = _string_expr(shapes, "_x", require_all, const)
    return (f"((_v := low.get({name!r})) is not None and "
            f"({one} if _v.__class__ is str else any({each} for _x in _v)))")


def compile_keywords(values: list[Any], modifiers: Sequence[str], where: str) -> Predicate:
    """A keyword list: a value occurs (``contains`` implied) in any string field; with ``all``, every value
    occurs somewhere in the event (not necessarily in the same field)."""
    patterns = _string_patterns("keywords", [v for v in values if v is not None], modifiers, {}, where)
    patterns = [_wrap(p, head=True, tail=True) for p in patterns]
    cased = "cased" in modifiers
    groups = [[p] for p in patterns] if "all" in modifiers else [patterns]
    tests = [_string_test(group, cased=cased, require_all=False) for group in groups]

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
