"""``garrison.lock``: what each server looked like when a person approved it.

On disk (JSON, keys sorted below the top level, two-space indent, hidden characters escaped so a diff
shows them)::

    {"version": 1,
     "servers": {"<name>": {"identity": {"name": .., "version": ..}, "launch": "sha256:..",
                            "instructions": "sha256:.." | null, "items": {"tool:<name>": "sha256:..", ..},
                            "approved_at": "2026-01-31T12:00:00Z"}},
     "definitions": {"<name>": {"launch": {..}, "instructions": "..", "items": {"tool:<name>": {..}}}}}

``servers`` is the authority: only its hashes decide drift. ``definitions`` keeps what was approved (the MCP
object as received, the instructions text, the launch identity without secret values) so that drift can be
shown as a readable diff; it lives in the same file so that it is committed together with the hashes and
can never go stale apart from them. Loading checks that every kept definition hashes to its pin.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from garrison.errors import LimitExceeded, LockfileError
from garrison.model import Definition, digest
from garrison.report.visible import escape_hidden_json

__all__ = ["LOCKFILE_NAME", "LOCKFILE_VERSION", "MAX_LOCKFILE_BYTES", "Lockfile", "PinStatus", "ServerPin"]

LOCKFILE_NAME = "garrison.lock"
LOCKFILE_VERSION = 1
MAX_LOCKFILE_BYTES = 32 * 1024 * 1024
PinStatus = Literal["pinned", "changed", "new"]

_HASH = re.compile(r"sha256:[0-9a-f]{64}")
_KINDS = ("tool:", "prompt:", "resource:", "resource_template:")
_SERVER_KEYS = frozenset({"identity", "launch", "instructions", "items", "approved_at"})
_DEFINITION_KEYS = frozenset({"launch", "instructions", "items"})


@dataclass(frozen=True, slots=True)
class ServerPin:
    """One approved server. ``launch``/``instructions`` are ``None`` when not pinned (not known or absent)."""

    identity: Mapping[str, str] = field(default_factory=dict)
    launch: str | None = None
    instructions: str | None = None
    items: Mapping[str, str] = field(default_factory=dict)
    """``kind:key`` → hash of the definition."""
    approved_at: str = ""
    launch_spec: Mapping[str, Any] | None = None
    """The pinned :meth:`LaunchSpec.identity`, kept for diffs."""
    instructions_text: str | None = None
    definitions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """``kind:key`` → the pinned MCP object, kept for diffs (may be absent for some items)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": dict(self.identity),
            "launch": self.launch,
            "instructions": self.instructions,
            "items": dict(self.items),
            "approved_at": self.approved_at,
        }

    def definitions_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"items": {ref: dict(raw) for ref, raw in self.definitions.items()}}
        if self.launch_spec is not None:
            out["launch"] = dict(self.launch_spec)
        if self.instructions_text is not None:
            out["instructions"] = self.instructions_text
        return out


def _sorted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_sorted(v) for v in value]
    return value


class _Constant(ValueError):
    """``NaN``/``Infinity`` in the file: JSON does not allow them and a hash cannot be taken over them."""


def _no_constant(name: str) -> Any:
    raise _Constant(name)


def _fail(message: str, where: str) -> LockfileError:
    return LockfileError(message, where=where)


def _hash_or_none(value: Any, what: str, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise _fail(f"{what} must be a 'sha256:<64 hex>' hash or null", where)
    return value


def _parse_server(name: str, body: Any, defs: Any, where: str) -> ServerPin:
    at = f"server {name!r}"
    if not isinstance(body, Mapping):
        raise _fail(f"{at} must be an object", where)
    unknown = sorted(set(body) - _SERVER_KEYS)
    if unknown:
        raise _fail(f"{at}: unknown key(s) {', '.join(unknown)}", where)
    identity = body.get("identity", {})
    if not isinstance(identity, Mapping) or not all(isinstance(v, str) for v in identity.values()):
        raise _fail(f"{at}: 'identity' must be an object of strings", where)
    items = body.get("items")
    if not isinstance(items, Mapping):
        raise _fail(f"{at}: 'items' must be an object", where)
    for ref, value in items.items():
        if not str(ref).startswith(_KINDS):
            raise _fail(f"{at}: item {ref!r} is not 'kind:key' (kinds: tool, prompt, resource, "
                        "resource_template)", where)
        _hash_or_none(value, f"{at}: item {ref!r}", where)
        if value is None:
            raise _fail(f"{at}: item {ref!r} has no hash", where)
    approved_at = body.get("approved_at")
    if not isinstance(approved_at, str):
        raise _fail(f"{at}: 'approved_at' must be a string", where)
    pin = ServerPin(
        identity=dict(identity),
        launch=_hash_or_none(body.get("launch"), f"{at}: 'launch'", where),
        instructions=_hash_or_none(body.get("instructions"), f"{at}: 'instructions'", where),
        items=dict(items),
        approved_at=approved_at,
    )
    return _attach_definitions(name, pin, defs, where)


def _digest(value: Any, where: str) -> str:
    try:
        return digest(value)
    except (TypeError, ValueError) as err:
        raise _fail(f"a kept definition cannot be hashed: {err}", where) from err


def _attach_definitions(name: str, pin: ServerPin, defs: Any, where: str) -> ServerPin:
    at = f"definitions of server {name!r}"
    if defs is None:
        return pin
    if not isinstance(defs, Mapping) or set(defs) - _DEFINITION_KEYS:
        raise _fail(f"{at} must be an object with only 'launch', 'instructions' and 'items'", where)
    launch, text, items = defs.get("launch"), defs.get("instructions"), defs.get("items", {})
    if launch is not None and (not isinstance(launch, Mapping) or _digest(dict(launch), where) != pin.launch):
        raise _fail(f"{at}: kept launch config does not match the pinned 'launch' hash", where)
    if text is not None and (not isinstance(text, str) or _digest(text, where) != pin.instructions):
        raise _fail(f"{at}: kept instructions do not match the pinned 'instructions' hash", where)
    if not isinstance(items, Mapping):
        raise _fail(f"{at}: 'items' must be an object", where)
    for ref, raw in items.items():
        if ref not in pin.items:
            raise _fail(f"{at}: {ref!r} is kept but not pinned", where)
        if not isinstance(raw, Mapping) or _digest(dict(raw), where) != pin.items[ref]:
            raise _fail(f"{at}: kept {ref!r} does not match its pinned hash", where)
    return ServerPin(
        identity=pin.identity,
        launch=pin.launch,
        instructions=pin.instructions,
        items=pin.items,
        approved_at=pin.approved_at,
        launch_spec=dict(launch) if launch is not None else None,
        instructions_text=text,
        definitions={str(ref): dict(raw) for ref, raw in items.items()},
    )


@dataclass(frozen=True, slots=True)
class Lockfile:
    """The pins of every approved server, keyed by server name."""

    servers: Mapping[str, ServerPin] = field(default_factory=dict)
    version: int = LOCKFILE_VERSION

    def status_of(self, server: str, definition: Definition) -> PinStatus:
        """``pinned`` if ``definition`` hashes as approved, ``changed`` if it differs, ``new`` if unknown."""
        pin = self.servers.get(server)
        if pin is None or definition.ref not in pin.items:
            return "new"
        return "pinned" if pin.items[definition.ref] == definition.hash else "changed"

    def to_json(self) -> dict[str, Any]:
        names = sorted(self.servers)
        return {
            "version": self.version,
            "servers": {n: self.servers[n].to_json() for n in names},
            "definitions": {n: self.servers[n].definitions_json() for n in names},
        }

    def dumps(self) -> str:
        """The file text: sorted, indented, hidden characters escaped, ending in a newline."""
        data = self.to_json()
        # Top level in reading order (version, servers, definitions); everything below it sorted.
        ordered = {key: _sorted(data[key]) for key in ("version", "servers", "definitions")}
        text = json.dumps(ordered, indent=2, ensure_ascii=False, allow_nan=False)
        return escape_hidden_json(text) + "\n"

    @classmethod
    def from_json(cls, data: Any, *, where: str = LOCKFILE_NAME) -> Lockfile:
        """Parse a lockfile document; errors are :class:`LockfileError` naming ``where`` and the server."""
        if not isinstance(data, Mapping):
            raise _fail("a lockfile must be a JSON object", where)
        version = data.get("version")
        if type(version) is not int or version != LOCKFILE_VERSION:
            raise _fail(f"unknown lockfile version {version!r} "
                        f"(this Garrison reads version {LOCKFILE_VERSION})", where)
        unknown = sorted(set(data) - {"version", "servers", "definitions"})
        if unknown:
            raise _fail(f"unknown top-level key(s) {', '.join(unknown)}", where)
        servers, defs = data.get("servers", {}), data.get("definitions", {})
        if not isinstance(servers, Mapping) or not isinstance(defs, Mapping):
            raise _fail("'servers' and 'definitions' must be objects", where)
        stray = sorted(set(defs) - set(servers))
        if stray:
            raise _fail(f"definitions kept for unpinned server(s) {', '.join(map(repr, stray))}", where)
        return cls({str(n): _parse_server(str(n), body, defs.get(n), where) for n, body in servers.items()})

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, max_bytes: int = MAX_LOCKFILE_BYTES) -> Lockfile:
        where = os.fspath(path)
        try:
            with open(path, "rb") as fh:
                raw = fh.read(max_bytes + 1)
        except OSError as err:
            raise _fail(f"cannot read lockfile: {err.strerror or err}", where) from err
        if len(raw) > max_bytes:
            raise LimitExceeded(f"lockfile is larger than {max_bytes} bytes", where=where)
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
        except UnicodeDecodeError as err:
            raise _fail(f"lockfile is not UTF-8: {err.reason}", where) from err
        except json.JSONDecodeError as err:
            at = f"{where}:{err.lineno}:{err.colno}"
            raise LockfileError(f"invalid JSON: {err.msg}", where=at) from err
        except RecursionError as err:
            raise LimitExceeded("lockfile JSON is nested too deeply", where=where) from err
        except _Constant as err:
            raise _fail(f"invalid JSON: {err} is not allowed in a lockfile", where) from err
        return cls.from_json(data, where=where)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write atomically: a temporary file beside ``path``, flushed, then renamed over it."""
        target = Path(path)
        text = self.dumps()
        try:
            mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as err:
            raise _fail(f"cannot write lockfile: {err.strerror or err}", os.fspath(path)) from err
        try:
            os.chmod(tmp, mode)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException as err:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(err, OSError):
                raise _fail(f"cannot write lockfile: {err.strerror or err}", os.fspath(path)) from err
            raise
