"""The Garrison-managed block list (``garrison.blocklist.yaml``): blocked tools and quarantined servers.

``garrison respond`` writes it; ``garrison wrap`` puts a :class:`BlocklistGate` over a :class:`BlocklistView`
first in its chain, so a blocked tool is refused (and hidden from ``tools/list``) and a quarantined server
answers no ``tools/call``, ``prompts/get`` or ``resources/read`` at all, from the moment the file changes.
The file is data, kept apart from the hand-written ``garrison.yaml`` so a response never rewrites a person's policy::

    version: 1
    blocked_tools:
      - {server: notes, tool: export_notes, reason: "SSH key read (alert 3f2a…)", added: "2026-11-25T10:00:00Z"}
    quarantined_servers:
      - {server: notes, reason: "...", added: "..."}

Reading is strict (unknown keys, wrong types: :class:`~garrison.errors.PolicyError` at ``file:line``); a file
that cannot be read makes the wrapper refuse every gated call (fail closed), see :func:`load_blocklist_or_deny`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from garrison.errors import PolicyError
from garrison.gateway.denylist import DenyList
from garrison.gateway.interceptors import PASS, BaseInterceptor, Decision, SessionState
from garrison.gateway.messages import REQUEST_DENIED, Message
from garrison.policy.yamltree import Node, parse_yaml

__all__ = [
    "BLOCKLIST_FILE",
    "Block",
    "Blocklist",
    "BlocklistGate",
    "BlocklistView",
    "load_blocklist",
    "load_blocklist_or_deny",
    "parse_blocklist",
    "save_blocklist",
]

BLOCKLIST_FILE = "garrison.blocklist.yaml"
VERSION = 1
GATED_METHODS = frozenset({"tools/call", "prompts/get", "resources/read"})
_HEADER = "# Managed by `garrison respond`; edit with care. `garrison wrap` refuses what is listed here.\n"


@dataclass(frozen=True, slots=True)
class Block:
    server: str
    tool: str | None
    """``None`` for a quarantined server."""
    reason: str
    added: str = ""

    def to_json(self) -> dict[str, str]:
        out = {"server": self.server}
        if self.tool is not None:
            out["tool"] = self.tool
        out["reason"] = self.reason
        if self.added:
            out["added"] = self.added
        return out


@dataclass(frozen=True, slots=True)
class Blocklist:
    tools: tuple[Block, ...] = ()
    servers: tuple[Block, ...] = ()
    deny_all: str | None = None
    """Set when the file could not be read: every gated call is refused with this reason."""

    def quarantined(self, server: str) -> Block | None:
        return next((b for b in self.servers if b.server == server), None)

    def blocked_tools(self, server: str) -> dict[str, str]:
        return {b.tool: b.reason for b in self.tools if b.server == server and b.tool is not None}

    def with_tool(self, server: str, tool: str, reason: str, added: str) -> tuple[Blocklist, bool]:
        """The list with ``tool`` blocked; ``False`` when it already was."""
        if tool in self.blocked_tools(server):
            return self, False
        return replace(self, tools=(*self.tools, Block(server, tool, reason, added))), True

    def with_server(self, server: str, reason: str, added: str) -> tuple[Blocklist, bool]:
        if self.quarantined(server) is not None:
            return self, False
        return replace(self, servers=(*self.servers, Block(server, None, reason, added))), True

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION, "blocked_tools": [b.to_json() for b in self.tools],
                "quarantined_servers": [b.to_json() for b in self.servers]}


def _string(node: Node, key: str, required: bool) -> str | None:
    child = node.value.get(key)
    if child is None:
        if required:
            raise node.fail(f"'{key}' is required")
        return None
    if not isinstance(child.value, str) or not child.value.strip():
        raise child.fail(f"'{key}' must be a non-empty string")
    return str(child.value)


def _entries(root: Node, key: str, with_tool: bool) -> tuple[Block, ...]:
    node = root.value.get(key)
    if node is None:
        return ()
    if not isinstance(node.value, list):
        raise node.fail(f"'{key}' must be a list")
    allowed = {"server", "reason", "added", *(("tool",) if with_tool else ())}
    out = []
    for item in node.value:
        if not isinstance(item.value, dict):
            raise item.fail(f"each '{key}' entry must be a mapping")
        unknown = sorted(set(item.value) - allowed)
        if unknown:
            raise item.value[unknown[0]].fail(f"unknown key {unknown[0]!r} (expected {', '.join(sorted(allowed))})")
        out.append(Block(server=str(_string(item, "server", True)),
                         tool=_string(item, "tool", True) if with_tool else None,
                         reason=_string(item, "reason", False) or "", added=_string(item, "added", False) or ""))
    return tuple(out)


def parse_blocklist(text: str, *, path: str = BLOCKLIST_FILE) -> Blocklist:
    root = parse_yaml(text, path=path)
    if root is None:
        return Blocklist()
    if not isinstance(root.value, dict):
        raise root.fail("the block list must be a mapping")
    unknown = sorted(set(root.value) - {"version", "blocked_tools", "quarantined_servers"})
    if unknown:
        raise root.value[unknown[0]].fail(f"unknown key {unknown[0]!r}")
    version = root.value.get("version")
    if version is None or version.value != VERSION:
        raise (version or root).fail(f"'version' must be {VERSION}")
    return Blocklist(_entries(root, "blocked_tools", True), _entries(root, "quarantined_servers", False))


def load_blocklist(path: str | os.PathLike[str] = BLOCKLIST_FILE, *, missing_ok: bool = True) -> Blocklist:
    """Read the list; a missing file is an empty list when ``missing_ok``."""
    from garrison.policy.load import read_policy_text

    where = os.fspath(path)
    try:
        text = read_policy_text(where, what="block list")
    except FileNotFoundError:
        if missing_ok:
            return Blocklist()
        raise PolicyError("block list not found", where=where) from None
    return parse_blocklist(text, path=where)


def load_blocklist_or_deny(path: str | os.PathLike[str] = BLOCKLIST_FILE) -> Blocklist:
    """For the wrapper: a list that cannot be read refuses every gated call and says why (fail closed)."""
    try:
        return load_blocklist(path)
    except PolicyError as err:
        return Blocklist(deny_all=f"the block list cannot be used: {err}")


def save_blocklist(blocklist: Blocklist, path: str | os.PathLike[str] = BLOCKLIST_FILE) -> None:
    """Write atomically (a temporary file beside ``path``, then renamed over it)."""
    import yaml

    target = Path(path)
    text = _HEADER + yaml.safe_dump(blocklist.to_json(), sort_keys=False, allow_unicode=True, width=120)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise PolicyError(f"cannot write the block list: {err.strerror or err}", where=str(target)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class BlocklistView:
    """The block list as of now: re-read when the file changes (inode, size, mtime), so a running wrapper
    obeys a block the moment ``garrison respond --execute`` writes it. Unreadable → refuse everything."""

    def __init__(self, path: str | os.PathLike[str] = BLOCKLIST_FILE) -> None:
        self.path = os.fspath(path)
        self._key: tuple[int, int, int] | None = None
        self._list = Blocklist()

    def current(self) -> Blocklist:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._key, self._list = None, Blocklist()
            return self._list
        except OSError as err:
            return Blocklist(deny_all=f"the block list cannot be read: {err.strerror or err} ({self.path})")
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if key != self._key:
            self._key, self._list = key, load_blocklist_or_deny(self.path)
        return self._list


class BlocklistGate(BaseInterceptor):
    """Refuses what the block list names for this server: every gated request of a quarantined server, and
    blocked tools at ``tools/call`` (also hidden from ``tools/list``). ``source`` gives the list as of now
    (a :meth:`BlocklistView.current`, or a constant list in tests)."""

    name = "blocklist"

    def __init__(self, source: Callable[[], Blocklist]) -> None:
        self._source = source

    def _refusal(self, blocklist: Blocklist, msg: Message, session: SessionState) -> Decision | None:
        if msg.method not in GATED_METHODS:
            return None
        reason = blocklist.deny_all
        if reason is None:
            quarantine = blocklist.quarantined(session.server)
            reason = (quarantine.reason or "quarantined") if quarantine is not None else None
        if reason is not None:
            return Decision.reply_error(
                REQUEST_DENIED, f"server {session.server!r} is quarantined by Garrison: {reason}",
                {"server": session.server, "reason": reason}, reason=f"quarantined: {reason}")
        return None

    def on_client_request(self, msg: Message, session: SessionState) -> Decision:
        blocklist = self._source()
        refusal = self._refusal(blocklist, msg, session)
        if refusal is not None:
            return refusal
        tools = blocklist.blocked_tools(session.server)
        if msg.tool_name is None or msg.tool_name not in tools:
            return PASS
        return DenyList(tools).on_client_request(msg, session)

    def on_server_response(self, request: Message, response: Message, session: SessionState) -> Decision:
        tools = self._source().blocked_tools(session.server)
        return DenyList(tools).on_server_response(request, response, session) if tools else PASS
