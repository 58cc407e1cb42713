"""Mask secrets written inline in launch configs, for display. Pure: strings in, strings out.

Env and header values are always masked by ``LaunchSpec.to_json``. This module masks what hides in the
*arguments* and *URLs*:

- option values whose name reads as a secret: ``--api-key=sk-…``, ``--token xyz``, ``--password hunter2``
  (a value after a nameless flag such as ``-p`` cannot be judged and is kept);
- ``NAME=value`` assignments with a secret-looking name (``-e GITHUB_TOKEN=ghp_…``);
- header lines ``Authorization: Bearer …``, ``X-Api-Key: …``;
- URL userinfo (``https://user:pass@host``) and query parameters with a secret-looking name;
- well-known token formats anywhere in an argument (``sk-…``, ``ghp_…``, ``xoxb-…``, ``AKIA…``, JWTs).

Over-masking a harmless value costs little; under-masking leaks a credential into a terminal or a CI log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from garrison.model.snapshot import SECRET_MASK

__all__ = ["is_secret_name", "mask_args", "mask_text", "mask_url"]

_SECRET_WORDS = frozenset({
    "key", "apikey", "token", "secret", "password", "passwd", "pwd", "pass", "passphrase", "auth",
    "authorization", "credential", "credentials", "bearer", "cookie", "session", "sig", "signature", "pat",
    "jwt", "privatekey", "accesskey", "clientsecret",
})
_SECRET_SUFFIXES = ("key", "token", "secret", "password", "passwd")
_NOT_SECRET_WORDS = frozenset({
    "file", "path", "dir", "env", "var", "name", "id", "type", "url", "uri", "host", "header", "length",
    "count", "mode", "method", "required", "enabled", "disabled", "store", "prefix",
})
_TOKEN_PATTERNS = (
    re.compile(r"\b(sk-(?:proj-|ant-)?)[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\b(gh[pousr]_)[A-Za-z0-9]{20,}"),
    re.compile(r"\b(github_pat_)[A-Za-z0-9_]{20,}"),
    re.compile(r"\b(glpat-)[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\b(xox[abposr]-)[A-Za-z0-9\-]{10,}"),
    re.compile(r"\b((?:AKIA|ASIA))[A-Z0-9]{16}\b"),
    re.compile(r"\b(AIza)[A-Za-z0-9_\-]{30,}"),
    re.compile(r"\b()eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
)
_HEADER_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_\-]*)\s*:\s*(\S.*)$")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\-]*)=(.+)$", re.DOTALL)
_OPTION = re.compile(r"^(-{1,2}[A-Za-z0-9][A-Za-z0-9_.\-]*)(?:=(.*))?$", re.DOTALL)


def is_secret_name(name: str) -> bool:
    """Whether an option, variable, header or query-parameter name reads as a credential."""
    parts = [p for p in re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()) if p]
    if not parts or any(p in _NOT_SECRET_WORDS for p in parts):
        return False
    return any(p in _SECRET_WORDS or p.endswith(_SECRET_SUFFIXES) for p in parts)


def _mask_tokens(text: str) -> str:
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + SECRET_MASK, text)
    return text


def mask_url(url: str) -> str:
    """Mask userinfo, secret-named query parameters and known token formats in ``url``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _mask_tokens(url)
    if not parts.scheme or not parts.netloc:
        return _mask_tokens(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:{SECRET_MASK}@{hostport}" if sep else f"{SECRET_MASK}@{hostport}"
    query = "&".join(
        f"{k}={SECRET_MASK}" if sep and is_secret_name(k) else f"{k}{sep}{v}"
        for k, sep, v in (item.partition("=") for item in parts.query.split("&"))
    ) if parts.query else ""
    return _mask_tokens(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def mask_text(text: str) -> str:
    """Mask one free-standing string: a ``NAME=value``, a URL, a header line or a bare token."""
    assignment = _ASSIGNMENT.match(text)
    if assignment:
        name, value = assignment.groups()
        if is_secret_name(name):
            return f"{name}={SECRET_MASK}"
        return f"{name}={mask_url(value) if '://' in value else _mask_tokens(value)}"
    if "://" in text:
        return mask_url(text)
    header = _HEADER_LINE.match(text)
    if header and is_secret_name(header.group(1)):
        return f"{header.group(1)}: {SECRET_MASK}"
    return _mask_tokens(text)


def mask_args(args: Sequence[str]) -> tuple[str, ...]:
    """``args`` with inline secrets masked; the argument count and order are kept."""
    out: list[str] = []
    mask_next = False
    for arg in args:
        if mask_next:
            mask_next = False
            if not arg.startswith("-") or arg == "-":
                out.append(SECRET_MASK)
                continue
        option = _OPTION.match(arg)
        if option:
            flag, value = option.group(1), option.group(2)
            secret = is_secret_name(flag.lstrip("-"))
            if value is None:
                mask_next = secret
                out.append(arg)
            elif secret:
                out.append(f"{flag}={SECRET_MASK}")
            else:
                out.append(f"{flag}={mask_text(value)}")
            continue
        out.append(mask_text(arg))
    return tuple(out)
