"""Sigma strings: wildcards, escapes and the value modifiers that rewrite them, and fast tests over text.

A Sigma string is split into literal chunks and the wildcards ``*`` and ``?`` (``\\`` escapes ``*``, ``?``
and ``\\``). Modifiers such as ``windash``, ``utf16le``/``wide``, ``base64``/``base64offset`` and ``expand``
turn one value into several patterns; :func:`string_test` then tests text with the cheapest ``str`` method for
each pattern shape (equality, ``startswith``, ``endswith``, ``in``, one Aho-Corasick pass for many needles, a
regex only for inner wildcards), and :func:`string_expr` writes the same test as Python source.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick_rs

from garrison.errors import RuleError

__all__ = [
    "MANY_NEEDLES",
    "QMARK",
    "STAR",
    "Pattern",
    "Shapes",
    "classify",
    "contains_all",
    "contains_any",
    "parse_sigma_string",
    "string_expr",
    "string_patterns",
    "string_test",
    "wrap",
]

MANY_NEEDLES = 6
"""Above this many ``contains`` values, one Aho-Corasick pass replaces the loop."""
STAR = object()
QMARK = object()
Part = str | object


_ENCODINGS = {"utf16le": "utf-16-le", "wide": "utf-16-le", "utf16be": "utf-16-be", "utf16": "utf-16"}
_DASHES = ("-", "/", "\u2013", "\u2014", "\u2015")
_WINDASH = re.compile(r"(?<![\w-])[-/](?=\w)")


def parse_sigma_string(text: str) -> list[Part]:
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
class Pattern:
    parts: tuple[Part, ...]

    @property
    def literal(self) -> str:
        return "".join(p for p in self.parts if isinstance(p, str))

    def longest_literal(self) -> str:
        chunks = [p for p in self.parts if isinstance(p, str)]
        return max(chunks, key=len) if chunks else ""


def wrap(pattern: Pattern, *, head: bool, tail: bool) -> Pattern:
    parts = list(pattern.parts)
    if head and (not parts or parts[0] is not STAR):
        parts.insert(0, STAR)
    if tail and (not parts or parts[-1] is not STAR):
        parts.append(STAR)
    return Pattern(tuple(parts))


def _plain(pattern: Pattern, modifier: str, where: str) -> str:
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


def _windash(pattern: Pattern) -> list[Pattern]:
    variants = []
    for dash in _DASHES:
        parts = tuple(_WINDASH.sub(dash, p) if isinstance(p, str) else p for p in pattern.parts)
        variants.append(Pattern(parts))
    unique: dict[tuple[Part, ...], Pattern] = {v.parts: v for v in variants}
    return list(unique.values())


def _expand(pattern: Pattern, placeholders: Mapping[str, Sequence[str]], where: str) -> list[Pattern]:
    text_parts = [p for p in pattern.parts if isinstance(p, str)]
    names = re.findall(r"%(\w+)%", "".join(text_parts))
    if not names:
        return [pattern]
    out = [pattern]
    for name in names:
        if name not in placeholders:
            raise RuleError(f"placeholder %{name}% has no value (pass it with the rule set's placeholders)",
                            where=where)
        out = [Pattern(tuple(p.replace(f"%{name}%", value) if isinstance(p, str) else p for p in pat.parts))
               for pat in out for value in placeholders[name]]
    return out


def _to_regex(pattern: Pattern, flags: int) -> re.Pattern[str]:
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
class Shapes:
    """Wildcard patterns sorted by the cheapest ``str`` method that tests them."""

    eq: set[str]
    starts: list[str]
    ends: list[str]
    contains: list[str]
    regexes: list[re.Pattern[str]]


def classify(patterns: list[Pattern], *, cased: bool) -> Shapes:
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
            regexes.append(_to_regex(Pattern(tuple(parts)), 0))
    return Shapes(eq, starts, ends, contains, regexes)


def string_test(patterns: list[Pattern], *, cased: bool, require_all: bool) -> Callable[[str], bool]:
    """One test over a (lowered unless ``cased``) text for a list of wildcard patterns (OR, or AND)."""
    shapes = classify(patterns, cased=cased)
    eq, starts, ends, contains, regexes = shapes.eq, shapes.starts, shapes.ends, shapes.contains, shapes.regexes
    if require_all:
        tests: list[Callable[[str], bool]] = [_equals(e) for e in eq]
        tests += [_starts(s) for s in starts] + [_ends(s) for s in ends]
        if len(contains) > MANY_NEEDLES:
            tests.append(contains_all(contains))
        else:
            tests += [_contains_one(s) for s in contains]
        tests += [_searches(r) for r in regexes]
        return tests[0] if len(tests) == 1 else (lambda v: all(t(v) for t in tests))
    eq_set = frozenset(eq)
    starts_t, ends_t, regex_t = tuple(starts), tuple(ends), tuple(regexes)
    any_needle = contains_any(contains)
    if not (eq_set or starts_t or ends_t or regex_t) and any_needle is not None:
        return any_needle

    def test(v: str) -> bool:
        if v in eq_set:
            return True
        if starts_t and v.startswith(starts_t):
            return True
        if ends_t and v.endswith(ends_t):
            return True
        if any_needle is not None and any_needle(v):
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


def contains_any(needles: list[str]) -> Callable[[str], bool] | None:
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


def contains_all(needles: list[str]) -> Callable[[str], bool]:
    automaton = _automaton(needles)
    count = len(set(needles))
    return lambda v: len({m[0] for m in automaton.find_matches_as_indexes(v, overlapping=True)}) == count


def string_patterns(name: str, values: list[Any], modifiers: Sequence[str],
                     placeholders: Mapping[str, Sequence[str]], where: str) -> list[Pattern]:
    patterns: list[Pattern] = []
    for value in values:
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float):
            text = str(value)
        elif isinstance(value, str):
            text = value
        else:
            raise RuleError(f"field {name!r}: unsupported value {value!r}", where=where)
        current = [Pattern(tuple(parse_sigma_string(text)))]
        encoded = False
        for mod in modifiers:
            if mod == "expand":
                current = [q for p in current for q in _expand(p, placeholders, where)]
            elif mod == "windash":
                current = [q for p in current for q in _windash(p)]
            elif mod in _ENCODINGS:
                current = [Pattern((_plain(p, mod, where).encode(_ENCODINGS[mod]).decode("latin-1"),))
                           for p in current]
                encoded = True
            elif mod in ("base64", "base64offset"):
                data = [_plain(p, mod, where).encode("latin-1" if encoded else "utf-8") for p in current]
                if mod == "base64":
                    current = [Pattern((base64.b64encode(d).decode("ascii"),)) for d in data]
                else:
                    current = [Pattern((v,)) for d in data for v in _base64_offsets(d)]
        patterns.extend(current)
    return patterns


def string_expr(shapes: Shapes, var: str, require_all: bool, const: Callable[[Any], str]) -> str:
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
        test = contains_all(shapes.contains) if require_all else contains_any(shapes.contains)
        parts.append(f"{const(test)}({var})")
    else:
        parts += [f"{n!r} in {var}" for n in shapes.contains]
    parts += [f"{const(r.search)}({var}) is not None" for r in shapes.regexes]
    return "(" + (" and " if require_all else " or ").join(parts) + ")"
