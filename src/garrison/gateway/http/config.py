"""The gateway's configuration file (YAML, strict): values in, a frozen :class:`GatewayConfig` out.

Every error is a :class:`~garrison.errors.ConfigError` naming ``file:line``. Unknown keys are refused. Bearer
tokens are never written in the file: a client's ``token`` is a reference, ``env:VAR`` or ``file:PATH``
(relative to the config file), resolved at load time with the environment passed in. ``load_config`` reads the
file and the token files; :func:`parse_config` is pure apart from those reads.

Upstream names are lower-case letters, digits and ``-`` (no ``_``), so ``<name>__<tool>`` always splits at
the first ``__`` (see :mod:`garrison.gateway.http.naming`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from garrison.errors import ConfigError, PolicyError

__all__ = [
    "DEFAULT_LISTEN",
    "DEFAULT_MAX_BODY_BYTES",
    "ClientConfig",
    "GatewayConfig",
    "UpstreamConfig",
    "load_config",
    "parse_config",
]

DEFAULT_LISTEN = ("127.0.0.1", 8787)
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_TIMEOUT = 60.0
MIN_TOKEN_CHARS = 16
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
IDENTITY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$")
Transport = Literal["stdio", "streamable-http", "sse"]


@dataclass(frozen=True, slots=True)
class UpstreamConfig:
    """One upstream MCP server. ``prefix`` is what its tool and prompt names get in front (then ``__``);
    ``""`` lists them unchanged (at most one upstream may do so)."""

    name: str
    transport: Transport
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    url: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    prefix: str = ""
    where: str = ""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """A client identity and its resolved bearer token (never printed: ``repr`` hides it)."""

    identity: str
    token: str = field(repr=False)
    where: str = ""


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    path: str
    host: str = DEFAULT_LISTEN[0]
    port: int = DEFAULT_LISTEN[1]
    upstreams: tuple[UpstreamConfig, ...] = ()
    clients: tuple[ClientConfig, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    policy: str | None = None
    lockfile: str | None = None
    events: str | None = None
    unsafe_allow_anonymous: bool = False

    def upstream(self, name: str) -> UpstreamConfig:
        return next(u for u in self.upstreams if u.name == name)


TOP_KEYS = frozenset({"listen", "upstreams", "clients", "allowed_hosts", "allowed_origins", "max_body_bytes",
                      "policy", "lockfile", "events", "unsafe_allow_anonymous"})
UPSTREAM_KEYS = frozenset({"name", "command", "args", "env", "url", "transport", "timeout", "prefix"})
CLIENT_KEYS = frozenset({"identity", "token"})


def _fail(node: Any, message: str) -> ConfigError:
    return ConfigError(message, where=node.where)


def _mapping(node: Any, allowed: frozenset[str], what: str) -> dict[str, Any]:
    if not isinstance(node.value, dict):
        raise _fail(node, f"{what} must be a mapping")
    for key, child in node.value.items():
        if key not in allowed:
            raise _fail(child, f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})")
    return dict(node.value)


def _str(node: Any, what: str) -> str:
    if not isinstance(node.value, str) or not node.value:
        raise _fail(node, f"{what} must be a non-empty string")
    return str(node.value)


def _strings(node: Any, what: str) -> tuple[str, ...]:
    if not isinstance(node.value, list):
        raise _fail(node, f"{what} must be a list of strings")
    return tuple(_str(item, f"each entry of {what}") for item in node.value)


def _positive(node: Any, what: str, kind: type[int] | type[float]) -> Any:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and not isinstance(value, int)):
        raise _fail(node, f"{what} must be a {'whole ' if kind is int else ''}number")
    if not 0 < value < 10**12:
        raise _fail(node, f"{what} must be positive")
    return kind(value)


def _listen(node: Any) -> tuple[str, int]:
    text = _str(node, "listen")
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise _fail(node, f"listen must be HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def _upstream(node: Any, base: Path) -> UpstreamConfig:
    keys = _mapping(node, UPSTREAM_KEYS, "an upstream")
    if "name" not in keys:
        raise _fail(node, "an upstream needs a name")
    name = _str(keys["name"], "upstream name")
    if not NAME.match(name):
        raise _fail(keys["name"], f"upstream name {name!r} must be lower-case letters, digits and '-' (no '_')")
    has_command, has_url = "command" in keys, "url" in keys
    if has_command == has_url:
        raise _fail(node, f"upstream {name!r} needs exactly one of 'command' (stdio) or 'url' (HTTP)")
    transport: Transport = "stdio"
    if has_url:
        given = _str(keys["transport"], "transport") if "transport" in keys else "streamable-http"
        if given not in ("streamable-http", "sse"):
            raise _fail(keys["transport"], f"transport must be 'streamable-http' or 'sse', got {given!r}")
        transport = "sse" if given == "sse" else "streamable-http"
        url = _str(keys["url"], "url")
        if not url.startswith(("http://", "https://")):
            raise _fail(keys["url"], f"url must be http:// or https://, got {url!r}")
    elif "transport" in keys and keys["transport"].value != "stdio":
        raise _fail(keys["transport"], "an upstream with a 'command' uses the stdio transport")
    for only in ("args", "env"):
        if has_url and only in keys:
            raise _fail(keys[only], f"{only!r} applies only to a stdio upstream")
    env: dict[str, str] = {}
    if "env" in keys:
        env_node = keys["env"]
        if not isinstance(env_node.value, dict):
            raise _fail(env_node, "env must be a mapping of names to strings")
        for var, value in env_node.value.items():
            if not isinstance(value.value, str | int | float) or isinstance(value.value, bool):
                raise _fail(value, f"env value for {var!r} must be a string")
            env[var] = str(value.value)
    prefix = name
    if "prefix" in keys:
        prefix = str(keys["prefix"].value) if keys["prefix"].value is not None else ""
        if prefix and not NAME.match(prefix):
            raise _fail(keys["prefix"], f"prefix {prefix!r} must be '' or lower-case letters, digits and '-'")
    return UpstreamConfig(
        name=name,
        transport=transport,
        command=_str(keys["command"], "command") if has_command else None,
        args=_strings(keys["args"], "args") if "args" in keys else (),
        env=env,
        url=str(keys["url"].value) if has_url else None,
        timeout=_positive(keys["timeout"], "timeout", float) if "timeout" in keys else DEFAULT_TIMEOUT,
        prefix=prefix,
        where=node.where,
    )


def _token(node: Any, base: Path, environ: Mapping[str, str], read: Callable[[Path], str]) -> str:
    ref = _str(node, "token")
    kind, sep, target = ref.partition(":")
    if not sep or kind not in ("env", "file") or not target:
        raise _fail(node, "token must be a reference, 'env:VARIABLE' or 'file:PATH' (never the token itself)")
    if kind == "env":
        if target not in environ:
            raise _fail(node, f"environment variable {target!r} (the token) is not set")
        token = environ[target].strip()
    else:
        path = Path(target) if Path(target).is_absolute() else base / target
        try:
            token = read(path).strip()
        except OSError as err:
            raise _fail(node, f"cannot read the token file {str(path)!r}: {err.strerror or err}") from None
    if len(token) < MIN_TOKEN_CHARS:
        raise _fail(node, f"the token from {ref!r} is shorter than {MIN_TOKEN_CHARS} characters")
    return token


def _client(node: Any, base: Path, environ: Mapping[str, str], read: Callable[[Path], str]) -> ClientConfig:
    keys = _mapping(node, CLIENT_KEYS, "a client")
    for needed in ("identity", "token"):
        if needed not in keys:
            raise _fail(node, f"a client needs {needed!r}")
    identity = _str(keys["identity"], "identity")
    if not IDENTITY.match(identity):
        raise _fail(keys["identity"], f"identity {identity!r} must be letters, digits and _.@:- (max 128)")
    return ClientConfig(identity, _token(keys["token"], base, environ, read), node.where)


def _check_unique(items: list[tuple[str, str]], what: str) -> None:
    seen: dict[str, str] = {}
    for value, where in items:
        if value in seen:
            raise ConfigError(f"{what} {value!r} is also used at {seen[value]}", where=where)
        seen[value] = where


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def parse_config(text: str, *, path: str, environ: Mapping[str, str],
                 read: Callable[[Path], str] = _read_text) -> GatewayConfig:
    """Parse and check a gateway configuration. ``read`` reads token files (injected for tests)."""
    from garrison.policy.yamltree import parse_yaml

    try:
        root = parse_yaml(text, path=path)
    except PolicyError as err:
        raise ConfigError(err.message, where=err.where) from None
    if root is None:
        raise ConfigError("the gateway configuration is empty", where=path)
    keys = _mapping(root, TOP_KEYS, "the gateway configuration")
    base = Path(path).parent
    if "upstreams" not in keys or not isinstance(keys["upstreams"].value, list) or not keys["upstreams"].value:
        raise _fail(keys.get("upstreams", root), "'upstreams' must list at least one server")
    upstreams = tuple(_upstream(n, base) for n in keys["upstreams"].value)
    _check_unique([(u.name, u.where) for u in upstreams], "upstream name")
    _check_unique([(u.prefix, u.where) for u in upstreams if u.prefix], "prefix")
    bare = [u for u in upstreams if not u.prefix]
    if len(bare) > 1:
        raise ConfigError(f"only one upstream may have prefix '' (also {bare[0].name!r} at {bare[0].where}):"
                          " their names could collide", where=bare[1].where)
    clients: tuple[ClientConfig, ...] = ()
    if "clients" in keys:
        if not isinstance(keys["clients"].value, list):
            raise _fail(keys["clients"], "'clients' must be a list")
        clients = tuple(_client(n, base, environ, read) for n in keys["clients"].value)
    _check_unique([(c.identity, c.where) for c in clients], "identity")
    _check_unique([(c.token, c.where) for c in clients], "a token of identity")
    anonymous = False
    if "unsafe_allow_anonymous" in keys:
        anonymous = keys["unsafe_allow_anonymous"].value
        if not isinstance(anonymous, bool):
            raise _fail(keys["unsafe_allow_anonymous"], "unsafe_allow_anonymous must be true or false")
    if not clients and not anonymous:
        raise _fail(root, "no 'clients' with tokens: every request would be refused "
                    "(set 'unsafe_allow_anonymous: true' to serve without authentication)")
    host, port = _listen(keys["listen"]) if "listen" in keys else DEFAULT_LISTEN

    def optional_path(key: str) -> str | None:
        if key not in keys:
            return None
        given = Path(_str(keys[key], key))
        return str(given if given.is_absolute() else base / given)

    return GatewayConfig(
        path=path,
        host=host,
        port=port,
        upstreams=upstreams,
        clients=clients,
        allowed_hosts=_strings(keys["allowed_hosts"], "allowed_hosts") if "allowed_hosts" in keys else (),
        allowed_origins=_strings(keys["allowed_origins"], "allowed_origins") if "allowed_origins" in keys else (),
        max_body_bytes=(_positive(keys["max_body_bytes"], "max_body_bytes", int) if "max_body_bytes" in keys
                        else DEFAULT_MAX_BODY_BYTES),
        policy=optional_path("policy"),
        lockfile=optional_path("lockfile"),
        events=optional_path("events"),
        unsafe_allow_anonymous=anonymous,
    )


def load_config(path: str, environ: Mapping[str, str]) -> GatewayConfig:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read the gateway configuration: {err.strerror or err}", where=path) from None
    except UnicodeDecodeError:
        raise ConfigError("the gateway configuration is not UTF-8 text", where=path) from None
    return parse_config(text, path=path, environ=environ)
