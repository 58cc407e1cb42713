"""Secret detection: provider key formats, credential-bearing headers, URLs and assignments.

The pattern set is data (``data/secret_patterns.toml``); this module compiles it once and applies it. A match
counts only when its value passes the pattern's checks: Shannon entropy, a mix of character classes, and an
allow-list of documentation placeholders (``AKIAIOSFODNN7EXAMPLE``, ``xxxx``, ``${TOKEN}``, ``<api key>``,
runs of repeated or sequential characters). Pure: text in, matches out. Input longer than ``MAX_SCAN_CHARS``
is scanned up to that limit and the match list says so (``SecretScan.truncated``).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import math
import re
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import ahocorasick_rs

from garrison.errors import RuleError
from garrison.model import CheckInfo, Severity

__all__ = [
    "MAX_SCAN_CHARS",
    "SecretMatch",
    "SecretPattern",
    "SecretScan",
    "find_secrets",
    "is_placeholder",
    "load_patterns",
    "mask",
    "redact",
    "shannon_entropy",
]

MAX_SCAN_CHARS = 1_000_000
_DATA_FILE = "secret_patterns.toml"
_VALIDATORS = ("curl_user", "auth_header", "basic_auth", "key_value")


@dataclass(frozen=True, slots=True)
class SecretPattern:
    """One secret type. ``info`` carries the stable ID (``GS1xx``), slug, title and severity."""

    info: CheckInfo
    regex: re.Pattern[str]
    keywords: tuple[str, ...]
    entropy: float = 0.0
    mix: int = 0
    placeholders: bool = True
    validator: str | None = None
    covers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """A secret found in a text. ``start``/``end`` span the whole match (what redaction replaces); ``value``
    is the secret itself."""

    pattern: SecretPattern
    start: int
    end: int
    value: str

    @property
    def rule(self) -> str:
        return self.pattern.info.id


@dataclass(frozen=True, slots=True)
class SecretScan:
    matches: tuple[SecretMatch, ...]
    truncated: bool = False


# --- value checks ------------------------------------------------------------------------------------------


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value`` (0.0 for the empty string)."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _classes(value: str) -> int:
    return sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
        )
    )


_TEMPLATE = re.compile(
    r"\$\{|\$\(|\{\{|%\(|%s\b|<[^<>]{0,60}>|\[[A-Z_ -]{3,}\]|^\$[A-Za-z_]|^\{[A-Za-z_]+\}$|^<|>$"
)
_PLACEHOLDER_WORDS = (
    "example", "sample", "dummy", "placeholder", "changeme", "redacted", "your_", "your-", "yourkey",
    "xxxx", "****", "...", "…", "insert", "replace_me", "replaceme",
)  # fmt: skip


def _longest_repeat(value: str) -> int:
    best = run = 1 if value else 0
    for a, b in itertools.pairwise(value):
        run = run + 1 if a == b else 1
        best = max(best, run)
    return best


def _sequential_share(value: str) -> float:
    """Share of ``value`` inside runs of at least four consecutive characters (``abcd``, ``1234``)."""
    if len(value) < 4:
        return 0.0
    covered = 0
    run = 1
    for a, b in itertools.pairwise(value):
        if ord(b) - ord(a) == 1 and a.isalnum() and b.isalnum():
            run += 1
        else:
            if run >= 4:
                covered += run
            run = 1
    if run >= 4:
        covered += run
    return covered / len(value)


def is_placeholder(value: str) -> bool:
    """Documentation placeholders and template references, not real secrets."""
    low = value.lower()
    if _TEMPLATE.search(value) or any(w in low for w in _PLACEHOLDER_WORDS):
        return True
    if _longest_repeat(value) >= 6:
        return True
    return _sequential_share(value) >= 0.5


# --- validators for context-bearing patterns --------------------------------------------------------------

_WEAK_WORDS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "token", "test", "user", "username", "admin", "root",
     "guest", "demo", "apikey", "api_key", "key", "changeme", "letmein", "yyy", "xxx", "foo", "bar"}
)  # fmt: skip
_AUTH_HEADER_NAME = re.compile(r"(?i)author|api[-_]?key|apikey|token|auth|secret|passw|session|cookie")
_SCHEME = re.compile(r"(?i)^(bearer|basic|token|api-token|digest|apikey|key)\s+")
_NON_SECRET_KEY_END = re.compile(
    r"(?i)(?:id|ids|name|names|url|uri|endpoint|file|path|dir|size|length|len|type|version|count|field|"
    r"header|prefix|env|var|format|policy|expiry|expires|ttl|mode|selector|label|hint|min|max|s)$"
)
_NON_SECRET_KEY_PART = re.compile(r"(?i)public|pub_|csrf|xsrf|_url|length|keyword")
_DOTTED_IDENT = re.compile(r"^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+$|[()]|\d+\.\d+\.\d+")


def _plain_secret(value: str, *, min_len: int = 6) -> bool:
    if len(value) < min_len or value.lower() in _WEAK_WORDS:
        return False
    return not is_placeholder(value) and not any(c in value for c in "<{*")


def _valid_basic(value: str) -> bool:
    token = value.strip()
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
        decoded = raw.decode("utf-8")
    except binascii.Error:
        return False
    except ValueError:
        # Not text: still a credential when it is long and random enough to be one.
        return len(token) >= 16 and shannon_entropy(token) >= 3.5
    return ":" in decoded and len(decoded) >= 6 and decoded.isprintable()


def _check_curl_user(value: str) -> bool:
    cred = value.replace('"', "").replace("'", "")
    if ":" not in cred:
        return False
    user, _, password = cred.partition(":")
    secret = password or user
    return _plain_secret(secret.strip("{}"), min_len=4) and not is_placeholder(secret)


def _check_auth_header(name: str, value: str) -> bool:
    if not _AUTH_HEADER_NAME.search(name):
        return False
    m = _SCHEME.match(value)
    if m and m.group(1).lower() == "basic":
        return _valid_basic(value[m.end() :])
    secret = value[m.end() :] if m else value
    return _plain_secret(secret.strip(), min_len=8) and shannon_entropy(secret) >= 2.5


def _check_key_value(key: str, value: str) -> bool:
    key = key.strip("'\"")
    if _NON_SECRET_KEY_END.search(key) or _NON_SECRET_KEY_PART.search(key):
        return False
    if _DOTTED_IDENT.search(value) or value.startswith(("http:", "https:", "/", "./", "~")):
        return False
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return has_digit and has_alpha and _plain_secret(value, min_len=8)


# --- loading -----------------------------------------------------------------------------------------------


def _parse_pattern(raw: dict[str, object], where: str) -> SecretPattern:
    try:
        pid, slug, title = str(raw["id"]), str(raw["slug"]), str(raw["title"])
        regex = re.compile(str(raw["regex"]))
        severity = Severity.parse(str(raw.get("severity", "high")))
    except (KeyError, re.error, ValueError) as err:
        raise RuleError(f"secret pattern {raw.get('id', '?')}: {err}", where=where) from None
    if "value" not in regex.groupindex:
        raise RuleError(f"secret pattern {pid}: regex has no group 'value'", where=where)
    validator = raw.get("validator")
    if validator is not None and validator not in _VALIDATORS:
        raise RuleError(f"secret pattern {pid}: unknown validator {validator!r}", where=where)
    keywords = raw.get("keywords", [])
    covers = raw.get("covers", [])
    if not isinstance(keywords, list) or not keywords or not isinstance(covers, list):
        raise RuleError(f"secret pattern {pid}: 'keywords' must be a non-empty list", where=where)
    info = CheckInfo(
        id=pid,
        slug=slug,
        title=title,
        severity=severity,
        remediation="Revoke and rotate this credential; keep secrets out of tool traffic.",
        techniques=("T1552",),
    )
    entropy = raw.get("entropy", 0.0)
    mix = raw.get("mix", 0)
    return SecretPattern(
        info=info,
        regex=regex,
        keywords=tuple(str(k).lower() for k in keywords),
        entropy=float(entropy) if isinstance(entropy, int | float) else 0.0,
        mix=int(mix) if isinstance(mix, int) else 0,
        placeholders=bool(raw.get("placeholders", True)),
        validator=str(validator) if validator is not None else None,
        covers=tuple(str(c) for c in covers),
    )


def parse_patterns(text: str, *, where: str = _DATA_FILE) -> tuple[SecretPattern, ...]:
    """Parse a pattern file's text; every error names the pattern and file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise RuleError(f"secret patterns do not parse: {err}", where=where) from None
    items = data.get("pattern")
    if not isinstance(items, list) or not items:
        raise RuleError("no [[pattern]] entries", where=where)
    patterns = tuple(_parse_pattern(item, where) for item in items)
    ids = [p.info.id for p in patterns]
    if len(set(ids)) != len(ids):
        raise RuleError("duplicate secret pattern IDs", where=where)
    return patterns


@cache
def load_patterns() -> tuple[SecretPattern, ...]:
    """The shipped pattern set (read once from package data; no network)."""
    text = resources.files("garrison.analysis").joinpath("data", _DATA_FILE).read_text(encoding="utf-8")
    return parse_patterns(text)


# --- scanning ----------------------------------------------------------------------------------------------


def _accept(pattern: SecretPattern, m: re.Match[str]) -> str | None:
    """The secret value when ``m`` passes the pattern's checks, else ``None``."""
    groups = m.groupdict()
    value = next((v for k, v in groups.items() if k.startswith("value") and v), "")
    if not value:
        return None
    v = pattern.validator
    if v == "curl_user":
        return value if _check_curl_user(value) else None
    if v == "auth_header":
        name = groups.get("name") or groups.get("name2") or ""
        return value if _check_auth_header(name, value) else None
    if v == "basic_auth" and not _valid_basic(value):
        return None
    if v == "key_value" and not _check_key_value(groups.get("key") or "", value):
        return None
    if pattern.entropy and shannon_entropy(value) < pattern.entropy:
        return None
    if pattern.mix and _classes(value) < pattern.mix:
        return None
    if pattern.placeholders and is_placeholder(value):
        return None
    return value


_PREFILTER_MAX_CHARS = 65_536
"""Texts up to this length are prefiltered in one pass over all keywords; longer ones (where one pass could
return every occurrence of a common keyword) check each pattern's keywords in turn."""


@dataclass(frozen=True, slots=True)
class _Prefilter:
    """One automaton over every keyword of a pattern set, and for each keyword the patterns it selects."""

    automaton: ahocorasick_rs.AhoCorasick
    selects: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, patterns: Sequence[SecretPattern]) -> _Prefilter:
        by_keyword: dict[str, list[int]] = {}
        for i, pattern in enumerate(patterns):
            for keyword in pattern.keywords:
                by_keyword.setdefault(keyword, []).append(i)
        keywords = list(by_keyword)
        return cls(ahocorasick_rs.AhoCorasick(keywords), tuple(tuple(by_keyword[k]) for k in keywords))

    def candidates(self, low: str) -> list[int]:
        """Indexes, in pattern order, of the patterns one of whose keywords occurs in ``low``."""
        seen = {k for k, _, _ in self.automaton.find_matches_as_indexes(low, overlapping=True)}
        return sorted({i for k in seen for i in self.selects[k]})


@cache
def _shipped_prefilter() -> _Prefilter:
    return _Prefilter.of(load_patterns())


def _candidates(pats: Sequence[SecretPattern], low: str, shipped: bool) -> list[SecretPattern]:
    if shipped and len(low) <= _PREFILTER_MAX_CHARS:
        return [pats[i] for i in _shipped_prefilter().candidates(low)]
    return [p for p in pats if any(map(low.__contains__, p.keywords))]


def find_secrets(text: str, *, patterns: Sequence[SecretPattern] | None = None) -> SecretScan:
    """Every secret in ``text``, in order of position. Where matches overlap, the more specific pattern (the
    one listed first) wins. Only patterns with one of their keywords in the text are tried."""
    pats = load_patterns() if patterns is None else patterns
    truncated = len(text) > MAX_SCAN_CHARS
    body = text[:MAX_SCAN_CHARS] if truncated else text
    found: list[SecretMatch] = []
    for pattern in _candidates(pats, body.lower(), shipped=patterns is None):
        for m in pattern.regex.finditer(body):
            value = _accept(pattern, m)
            if value is None:
                continue
            start, end = m.span()
            if any(start < f.end and f.start < end for f in found):
                continue
            found.append(SecretMatch(pattern, start, end, value))
    found.sort(key=lambda f: f.start)
    return SecretScan(tuple(found), truncated)


def mask(value: str) -> str:
    """A display form that identifies a secret without revealing it: first four characters and length."""
    return f"{value[:4]}…({len(value)} chars)" if len(value) > 8 else "****"


def redact(text: str, matches: Sequence[SecretMatch]) -> str:
    """``text`` with each matched secret value replaced by ``[REDACTED:<slug>]``."""
    out: list[str] = []
    pos = 0
    for m in sorted(matches, key=lambda x: x.start):
        if m.start < pos:
            continue
        segment = text[m.start : m.end]
        at = segment.find(m.value)
        if at < 0 or "\n" in segment:
            # Multi-line secrets (key blocks) go as a whole.
            out.append(text[pos : m.start])
            out.append(f"[REDACTED:{m.pattern.info.slug}]")
        else:
            out.append(text[pos : m.start + at])
            out.append(f"[REDACTED:{m.pattern.info.slug}]")
            out.append(text[m.start + at + len(m.value) : m.end])
        pos = m.end
    out.append(text[pos:])
    return "".join(out)
