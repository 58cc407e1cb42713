"""Argument checks: path and URL normalisation, regexes and sizes (pure).

A check returns ``None`` when the argument passes, or a sentence saying what is wrong, written to be shown to
the user. Anything that cannot be judged (a value of the wrong type, a path with ``~otheruser``, a URL with no
host, a value past the regex length limit) fails the check: an unreadable value is never waved through.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson

from garrison.policy.patterns import normalise_host
from garrison.policy.spec import ArgConstraint, DomainRule, Limits, PathRule

__all__ = ["check_argument", "json_size", "leaves", "resolve_path", "split_url"]

_SCHEME_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_SCHEME_ONLY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?![0-9]+(?:[/?#]|$))")
_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|[0-9a-f:.]+")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}


class _TooDeep(Exception):
    pass


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (raises ``TypeError`` for values JSON cannot hold)."""
    return len(orjson.dumps(value))


def leaves(value: Any, max_depth: int, depth: int = 0) -> Iterator[Any]:
    """Every scalar inside ``value`` (strings, numbers, booleans; ``None`` is skipped)."""
    if depth > max_depth:
        raise _TooDeep
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | Mapping):
        for item in value.values():
            yield from leaves(item, max_depth, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from leaves(item, max_depth, depth + 1)
    elif value is not None:
        yield value


def resolve_path(value: str, *, home: str, cwd: str) -> str:
    """Make ``value`` absolute and lexical: ``~`` → ``home``, relative → under ``cwd``, ``..``/``.`` folded,
    backslashes read as separators, ``file://`` URIs decoded. Raise ``ValueError`` if it cannot be judged."""
    if "\x00" in value:
        raise ValueError("contains a NUL byte")
    text = value.strip()
    if text[:7].lower() == "file://":
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file URI names another host ({parts.netloc!r})")
        text = unquote(parts.path)
        if "\x00" in text:
            raise ValueError("contains a NUL byte")
    text = text.replace("\\", "/")
    if text == "~" or text.startswith("~/"):
        text = home + text[1:]
    elif text.startswith("~"):
        raise ValueError("names another user's home directory ('~user' is not resolved)")
    if not text.startswith("/"):
        text = posixpath.join(cwd, text)
    normal = posixpath.normpath(text)
    return "/" + normal.lstrip("/")


def _check_path(rule: PathRule, value: str, home: str, cwd: str) -> str | None:
    try:
        path = resolve_path(value, home=home, cwd=cwd)
    except ValueError as err:
        return f"path {value!r} {err}"
    shown = repr(value) if path == value else f"{value!r} (resolves to {path!r})"
    for pattern in rule.deny:
        if pattern.matches(path, fold=True):
            return f"path {shown} is denied by pattern {pattern.text!r}"
    if rule.allow and not any(p.matches(path, fold=False) for p in rule.allow):
        return f"path {shown} is outside the allowed paths ({', '.join(p.text for p in rule.allow)})"
    return None


def split_url(value: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of a URL as a browser would read it; raise ``ValueError`` if there is no host.

    Backslashes count as slashes, userinfo (``allowed.com@evil.com``) is dropped, the host is
    percent-decoded, IDNA-encoded and lower-cased; a value without a scheme is read as ``http://value``.
    """
    text = value.strip().replace("\\", "/")
    if any(ord(c) < 0x21 for c in text):
        raise ValueError("contains whitespace or control characters")
    if text.startswith("//"):
        text = "http:" + text
    elif not _SCHEME_AUTHORITY.match(text):
        if _SCHEME_ONLY.match(text):
            raise ValueError("has no host")
        text = "http://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    netloc = parts.netloc.rpartition("@")[2]
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    host = netloc
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    elif ":" in host:
        host = host.rsplit(":", 1)[0]
    host = unquote(host)
    if not host:
        raise ValueError("has no host")
    try:
        host = normalise_host(host)
    except (ValueError, UnicodeError):
        raise ValueError(f"host {host!r} cannot be encoded") from None
    if not _HOST.fullmatch(host):
        raise ValueError(f"host {host!r} is not a valid host name")
    return scheme, host, port


def _check_url(rule: DomainRule, value: str) -> str | None:
    try:
        scheme, host, port = split_url(value)
    except ValueError as err:
        return f"URL {value!r} {err}"
    if scheme not in rule.schemes:
        return f"URL {value!r} uses scheme {scheme!r} (allowed: {', '.join(sorted(rule.schemes))})"
    default_port = _DEFAULT_PORTS.get(scheme)
    shown = f"{host}:{port}" if port is not None else host
    for pattern in rule.deny:
        if pattern.matches(host, port, default_port):
            return f"URL {value!r} goes to {shown}, denied by {pattern.text!r}"
    if rule.allow and not any(p.matches(host, port, default_port) for p in rule.allow):
        return f"URL {value!r} goes to {shown}, not in the allowed domains ({', '.join(p.text for p in rule.allow)})"
    return None


def check_argument(c: ArgConstraint, name: str, value: Any, limits: Limits, *, home: str, cwd: str) -> str | None:
    """Check one argument against one constraint; ``None`` if it passes, else what is wrong."""
    if c.max_bytes is not None and json_size(value) > c.max_bytes:
        return f"argument {name!r} is {json_size(value)} bytes, over the limit of {c.max_bytes}"
    try:
        items = list(leaves(value, limits.max_depth))
    except _TooDeep:
        return f"argument {name!r} is nested deeper than {limits.max_depth} levels"
    for item in items:
        if c.paths is not None or c.domains is not None:
            if not isinstance(item, str):
                kind = "path" if c.paths is not None else "URL"
                return f"argument {name!r} must be a {kind} string, not {type(item).__name__}"
            problem = (_check_path(c.paths, item, home, cwd) if c.paths is not None
                       else _check_url(c.domains, item) if c.domains is not None else None)
            if problem:
                return f"argument {name!r}: {problem}"
        if c.must_match is not None or c.must_not_match is not None:
            text = item if isinstance(item, str) else orjson.dumps(item).decode()
            if len(text) > limits.max_regex_chars:
                return f"argument {name!r} is longer than {limits.max_regex_chars} characters and cannot be checked"
            if c.must_match is not None and c.must_match.fullmatch(text) is None:
                return f"argument {name!r} does not match the required pattern {c.must_match.pattern!r}"
            if c.must_not_match is not None and (m := c.must_not_match.search(text)) is not None:
                return f"argument {name!r} contains {m.group(0)[:80]!r}, forbidden by {c.must_not_match.pattern!r}"
    return None
