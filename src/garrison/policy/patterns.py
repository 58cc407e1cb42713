"""Compiled matchers for names, file paths and URL hosts (pure; no file system, no DNS).

- **Names** (servers, tools, identities, argument names): shell globs (``*``, ``?``, ``[abc]``), matched
  case-insensitively after NFKC folding, so a deny rule cannot be dodged by changing case.
- **Paths**: ``*`` stays inside one path segment, ``**`` spans any number of segments, ``dir/**`` also matches
  ``dir`` itself. Paths are made absolute and ``..``/``.``/``~`` are resolved *lexically* before matching
  (symlinks are not followed; the server's own sandbox must handle those). Deny patterns match
  case-insensitively (a case-insensitive file system must not open a way round them); allow patterns match
  case-sensitively. A pattern starting with ``**`` (``**/.env``) matches at any depth.
- **Hosts**: ``example.com`` matches that host only, ``*.example.com`` any subdomain of it (not the apex).
  Hosts are compared in their ASCII (IDNA) form, lower-case, without a trailing dot. An optional ``:port``
  (or ``:*``) restricts the port; without one only the scheme's default port matches.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from dataclasses import dataclass
from fnmatch import translate
from functools import lru_cache

__all__ = ["HostPattern", "NameMatch", "PathPattern", "fold_name", "normalise_host"]


@lru_cache(maxsize=8192)
def fold_name(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A set of globs over names; matches when any glob does."""

    patterns: tuple[str, ...]
    regex: re.Pattern[str]

    @classmethod
    def of(cls, patterns: tuple[str, ...]) -> NameMatch:
        body = "|".join(f"(?:{translate(fold_name(p))})" for p in patterns) or "(?!)"
        return cls(patterns, re.compile(body, re.S))

    def matches(self, name: str) -> bool:
        return self.regex.match(fold_name(name)) is not None

    @property
    def matches_all(self) -> bool:
        return "*" in self.patterns

    def __str__(self) -> str:
        return ", ".join(self.patterns)


def _path_regex(pattern: str) -> str:
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("/**", i) and (i + 3 == n or pattern[i + 3] == "/"):
            out.append("(?:/.*)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


@dataclass(frozen=True, slots=True)
class PathPattern:
    """An absolute path glob (``~`` already expanded when compiled)."""

    text: str
    exact: re.Pattern[str]
    folded: re.Pattern[str]

    @classmethod
    def compile(cls, text: str, *, home: str) -> PathPattern:
        """Raise ``ValueError`` if ``text`` is not absolute after ``~`` expansion."""
        expanded = home + text[1:] if text == "~" or text.startswith("~/") else text
        if not expanded.startswith(("/", "**")):
            raise ValueError(f"path pattern {text!r} must be absolute or start with '~/' or '**'")
        normal = posixpath.normpath(expanded)
        if normal.startswith("//"):
            normal = "/" + normal.lstrip("/")
        regex = _path_regex(normal)
        return cls(text, re.compile(regex, re.S), re.compile(regex, re.S | re.I))

    def matches(self, path: str, *, fold: bool) -> bool:
        return (self.folded if fold else self.exact).fullmatch(path) is not None


def normalise_host(host: str) -> str:
    """ASCII, lower-case, no trailing dot; raise ``ValueError`` for a host that cannot be encoded."""
    host = unicodedata.normalize("NFKC", host).strip().rstrip(".").lower()
    if not host:
        raise ValueError("empty host")
    if host.startswith("[") and host.endswith("]"):
        return host[1:-1]
    if host.isascii():
        return host
    return host.encode("idna").decode("ascii")


@dataclass(frozen=True, slots=True)
class HostPattern:
    text: str
    host: str
    subdomains: bool
    port: int | None
    any_port: bool

    @classmethod
    def compile(cls, text: str) -> HostPattern:
        """``example.com``, ``*.example.com``, ``example.com:8443``, ``example.com:*``; raise ``ValueError``."""
        spec = text.strip()
        port: int | None = None
        any_port = False
        if spec.count(":") == 1 or (spec.startswith("[") and "]:" in spec):
            spec, _, port_text = spec.rpartition(":")
            if port_text == "*":
                any_port = True
            elif port_text.isdigit() and 0 < int(port_text) < 65536:
                port = int(port_text)
            else:
                raise ValueError(f"bad port in {text!r}")
        subdomains = spec.startswith("*.")
        if subdomains:
            spec = spec[2:]
        if not spec or any(c in spec for c in "*/@?#\\ "):
            raise ValueError(f"{text!r} is not a host name, '*.domain' or 'host:port'")
        return cls(text, normalise_host(spec), subdomains, port, any_port)

    def matches(self, host: str, port: int | None, default_port: int | None) -> bool:
        if self.subdomains:
            if not host.endswith("." + self.host):
                return False
        elif host != self.host:
            return False
        if self.any_port:
            return True
        if self.port is not None:
            return (port if port is not None else default_port) == self.port
        return port is None or port == default_port
