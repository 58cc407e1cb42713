"""Pins at the gateway: what changed or appeared since a person approved it is hidden and refused.

:class:`PinGuard` keeps, per kind, the latest list of tools, prompts, resources and resource templates that
went through the relay (the client's own listings and the relay's refreshes after ``list_changed``), and
judges every item with :meth:`Lockfile.status_of`:

* **list results**: items that are not ``pinned`` are removed before the client sees them;
* **calls** (``tools/call``, ``prompts/get``, ``resources/read``): refused with JSON-RPC error ``-32010`` unless
  the item is in the latest list and pinned. The error names the change (pinned hash, hash now, a short
  diff) and the ``garrison approve SERVER/kind:key`` command that accepts it. A ``resources/read`` of a URI
  that no listed resource or template advertises passes: nothing a model could have read describes it.

A server missing from the lockfile is handled per ``unpinned``: ``block`` hides and refuses everything;
``pin-on-first-use`` trusts the first listing of each kind in this session and writes it to the lockfile
(atomically, with a notice); ``auto`` is ``pin-on-first-use`` when there is no lockfile at all and ``block``
when there is one without this server. A lockfile that cannot be read fails closed: every item is hidden and
every call refused with an error naming the file.

The lockfile is read through :class:`LockfileView` (the edge: it re-reads the file when its size, mtime or
inode changes, so ``garrison approve`` takes effect on the next call without a restart).
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from garrison.errors import GarrisonError
from garrison.gateway.interceptors import PASS, BaseInterceptor, Decision, SessionState
from garrison.gateway.messages import REQUEST_DENIED, Message
from garrison.model import Definition, digest
from garrison.model.snapshot import ItemKind
from garrison.pins import Lockfile, ServerPin

__all__ = ["LIST_KINDS", "LockfileView", "PinGuard", "UnpinnedMode", "template_regex"]

UnpinnedMode = Literal["auto", "pin-on-first-use", "block"]
Normalise = Callable[[ItemKind, Mapping[str, Any]], Mapping[str, Any]]
Notice = Callable[[str], None]

LIST_KINDS: Mapping[str, tuple[ItemKind, str]] = {
    "tools/list": ("tool", "tools"),
    "prompts/list": ("prompt", "prompts"),
    "resources/list": ("resource", "resources"),
    "resources/templates/list": ("resource_template", "resourceTemplates"),
}
MAX_ITEMS = 10_000
MAX_DIFF_LINES = 24
_SHORT = 19  # "sha256:" + 12 hex digits


class LockfileView:
    """The lockfile as of now. ``current()`` returns ``None`` when there is no file and raises
    :class:`~garrison.errors.GarrisonError` (naming the file) when it cannot be read or is invalid."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._key: tuple[int, int, int] | None = None
        self._lock: Lockfile | None = None
        self._error: GarrisonError | None = None

    def current(self) -> Lockfile | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._key, self._lock, self._error = None, None, None
            return None
        except OSError as err:
            raise GarrisonError(f"cannot read lockfile: {err.strerror or err}", where=self.path) from None
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if key != self._key:
            self._key = key
            try:
                self._lock, self._error = Lockfile.load(self.path), None
            except GarrisonError as err:
                self._lock, self._error = None, err
        if self._error is not None:
            raise self._error
        return self._lock

    def add(self, server: str, pin: ServerPin) -> None:
        """Write ``pin`` for ``server`` (merging items into an existing pin), atomically."""
        lock = self.current() or Lockfile()
        old = lock.servers.get(server)
        if old is not None:
            pin = replace(old, items={**old.items, **pin.items},
                          definitions={**old.definitions, **pin.definitions})
        Lockfile(servers={**lock.servers, server: pin}, version=lock.version).save(self.path)
        self._key = None


@lru_cache(maxsize=1024)
def template_regex(template: str) -> re.Pattern[str]:
    """A URI template (RFC 6570, simple and reserved expansion) as a regular expression."""
    out, last = [], 0
    for m in re.finditer(r"\{([+#]?)[^}]*\}", template):
        out.append(re.escape(template[last:m.start()]))
        out.append(".+" if m.group(1) else "[^/?#]+")
        last = m.end()
    out.append(re.escape(template[last:]))
    return re.compile("".join(out))


def _short(value: str | None) -> str:
    return "none" if value is None else value[:_SHORT] + "…"


def _diff(server: str, ref: str, old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    if old is None:
        return ""
    def lines(v: Any) -> list[str]:
        return json.dumps(v, indent=2, sort_keys=True, ensure_ascii=True).splitlines()
    diff = list(difflib.unified_diff(lines(old), lines(new), f"{server}/{ref} (pinned)", f"{server}/{ref} (now)",
                                     lineterm="", n=1))
    if len(diff) > MAX_DIFF_LINES:
        diff = [*diff[:MAX_DIFF_LINES], f"… {len(diff) - MAX_DIFF_LINES} more lines"]
    return "\n".join(diff)


@dataclass(frozen=True, slots=True)
class _Item:
    definition: Definition
    hash: str
    """``definition.hash``, taken once when listed (calls compare it on every request)."""


@dataclass(slots=True)
class _Listing:
    items: dict[str, _Item]
    complete: bool


@dataclass(slots=True)
class _Server:
    """What the guard knows of one server (one gateway may relay many)."""

    listings: dict[ItemKind, _Listing] = field(default_factory=dict)
    trusting: set[ItemKind] | None = None
    """Kinds this session may pin on first sight (pin-on-first-use); ``None`` until decided."""
    failed: str | None = None
    """Why pinning on first use failed (then everything is refused)."""
    announced: dict[ItemKind, list[str]] = field(default_factory=dict)
    """What a stderr notice last said was hidden, per kind (said again only when it changes)."""


class PinGuard(BaseInterceptor):
    """``approve_hint`` is appended to suggested ``garrison approve`` commands (e.g. ``--name X -- CMD``)."""

    name = "pins"

    def __init__(self, view: LockfileView, *, unpinned: UnpinnedMode = "auto", normalise: Normalise | None = None,
                 notice: Notice | None = None, approve_hint: str = "", now: Callable[[], datetime] | None = None,
                 ) -> None:
        self.view = view
        self.unpinned = unpinned
        self.normalise = normalise
        self.notice = notice or (lambda _text: None)
        self.approve_hint = approve_hint
        self.now = now or (lambda: datetime.now(UTC))
        self.servers: dict[str, _Server] = {}

    def _server(self, name: str) -> _Server:
        state = self.servers.get(name)
        if state is None:
            state = self.servers[name] = _Server()
        return state

    # -- the lockfile --------------------------------------------------------------------------------
    def _lock(self, server: str) -> tuple[ServerPin | None, str | None, str]:
        """The server's pin, or an error text and its status (fail closed)."""
        try:
            lock = self.view.current()
        except GarrisonError as err:
            return None, f"the pin lockfile cannot be used, so nothing from this server is trusted: {err}", \
                "lockfile-error"
        pin = lock.servers.get(server) if lock is not None else None
        state = self._server(server)
        if state.failed is not None:
            return None, state.failed, "lockfile-error"
        if pin is not None:
            return pin, None, "pinned"
        mode = self.unpinned
        if mode == "auto":
            mode = "pin-on-first-use" if lock is None else "block"
        if mode == "pin-on-first-use" and state.trusting is None:
            state.trusting = {kind for kind, _ in LIST_KINDS.values()}
        if state.trusting is not None:
            return None, None, "first-use"
        return None, (f"server {server!r} is not pinned in {self.view.path} (unpinned servers are blocked); "
                      f"review it and run: garrison pin{self._hint()}"), "unpinned"

    def _hint(self) -> str:
        return f" {self.approve_hint}" if self.approve_hint else ""

    def _first_use(self, session: SessionState, kind: ItemKind, listing: _Listing) -> str | None:
        defs = [item.definition for item in listing.items.values()]
        pin = ServerPin(
            identity={k: v for k, v in (session.server_info or {}).items() if k in ("name", "version")
                      and isinstance(v, str)},
            instructions=digest(session.instructions) if session.instructions is not None else None,
            instructions_text=session.instructions, items={d.ref: d.hash for d in defs},
            approved_at=self.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            definitions={d.ref: dict(d.raw) for d in defs},
        )
        try:
            self.view.add(session.server, pin)
        except GarrisonError as err:
            failed = f"could not pin server {session.server!r} on first use: {err}"
            self._server(session.server).failed = failed
            self.notice(failed)
            return failed
        if defs:
            self.notice(f"pinned {len(defs)} {kind}(s) of server {session.server!r} on first use in "
                        f"{self.view.path}; review them and commit the lockfile")
        return None

    # -- lists ---------------------------------------------------------------------------------------
    def _definition(self, kind: ItemKind, raw: Mapping[str, Any]) -> Definition:
        if self.normalise is not None:
            raw = self.normalise(kind, raw)
        return Definition(kind, raw)

    def on_server_response(self, request: Message, response: Message, session: SessionState) -> Decision:
        method = request.method
        result = response.result
        if method is None or method not in LIST_KINDS or result is None:
            return PASS
        kind, key = LIST_KINDS[method]
        items = result.get(key)
        if not isinstance(items, list):
            return PASS
        paged = "cursor" in request.params
        state = self._server(session.server)
        listing = state.listings.get(kind) if paged else None
        if listing is None:
            listing = _Listing({}, False)
        judged: list[tuple[Any, _Item | None]] = []
        for item in items:
            entry = None
            if isinstance(item, Mapping) and len(listing.items) < MAX_ITEMS:
                definition = self._definition(kind, item)
                entry = listing.items[definition.key] = _Item(definition, definition.hash)
            judged.append((item, entry))
        listing.complete = not result.get("nextCursor")
        state.listings[kind] = listing
        pin, error, _ = self._lock(session.server)
        if error is None and state.trusting is not None and kind in state.trusting:
            if not listing.complete:
                return PASS
            state.trusting.discard(kind)
            error = self._first_use(session, kind, listing)
            if error is None:
                return PASS
        kept = [item for item, entry in judged if entry is not None and error is None and pin is not None
                and self._status(pin, entry.definition.ref, entry.hash) == "pinned"]
        if len(kept) == len(items):
            return PASS
        body = dict(response.body)
        body["result"] = {**result, key: kept}
        kept_ids = {id(item) for item in kept}
        hidden = sorted(entry.definition.ref for item, entry in judged
                        if entry is not None and id(item) not in kept_ids)
        if hidden and hidden != state.announced.get(kind):
            state.announced[kind] = hidden
            shown = ", ".join(hidden[:5]) + (f" and {len(hidden) - 5} more" if len(hidden) > 5 else "")
            self.notice(f"hid {len(hidden)} unapproved {kind}(s) of server {session.server!r}: {shown}; review "
                        f"with 'garrison scan' and accept with 'garrison approve {session.server}'")
        return Decision.rewrite(body, f"pins hid {len(items) - len(kept)} unapproved {kind}(s)")

    @staticmethod
    def _status(pin: ServerPin, ref: str, now: str) -> str:
        pinned = pin.items.get(ref)
        return "new" if pinned is None else "pinned" if pinned == now else "changed"

    # -- calls ---------------------------------------------------------------------------------------
    def _target(self, msg: Message, listings: Mapping[ItemKind, _Listing]) -> tuple[ItemKind, str] | None:
        params = msg.params
        if msg.method == "tools/call":
            return "tool", str(params.get("name"))
        if msg.method == "prompts/get":
            return "prompt", str(params.get("name"))
        if msg.method == "resources/read":
            uri = str(params.get("uri"))
            resources = listings.get("resource")
            if resources is not None and uri in resources.items:
                return "resource", uri
            templates = listings.get("resource_template")
            for key in (templates.items if templates is not None else {}):
                if template_regex(key).fullmatch(uri):
                    return "resource_template", key
            return None
        return None

    def on_client_request(self, msg: Message, session: SessionState) -> Decision:
        state = self._server(session.server)
        target = self._target(msg, state.listings)
        if target is None:
            return PASS
        kind, key = target
        server = session.server
        ref = f"{kind}:{key}"
        pin, error, status = self._lock(server)
        if error is not None:
            return self._refuse(server, ref, error, status)
        listing = state.listings.get(kind)
        if listing is None:
            return self._refuse(server, ref, f"server {server!r} has not listed its {kind}s in this session, so "
                                f"{ref!r} cannot be checked against its pin; list them first", "unlisted")
        listed = listing.items.get(key)
        if listed is None:
            return self._refuse(server, ref, f"{ref!r} is not in the server's current list", "unlisted")
        if pin is None:
            return self._refuse(server, ref, f"{ref!r} is not pinned yet (first listing of {kind}s pending)", "new")
        definition = listed.definition
        status = self._status(pin, ref, listed.hash)
        if status == "pinned":
            return PASS
        approve = f"garrison approve {server}/{ref}{self._hint()}"
        old = pin.items.get(ref)
        if status == "changed":
            text = (f"{ref} on server {server!r} changed since it was approved (pinned {_short(old)}, now "
                    f"{_short(listed.hash)}); review the change and run: {approve}")
        else:
            text = f"{ref} on server {server!r} is new since the server was approved; review it and run: {approve}"
        data = {"pinned": old, "now": listed.hash, "approve": approve,
                "diff": _diff(server, ref, pin.definitions.get(ref), definition.raw)}
        return self._refuse(server, ref, text, status, data)

    @staticmethod
    def _refuse(server: str, ref: str, text: str, status: str, extra: Mapping[str, Any] | None = None) -> Decision:
        data = {"server": server, "target": ref, "status": status, **(extra or {})}
        return Decision.reply_error(REQUEST_DENIED, text, data, reason=f"pin {status}: {ref}")

