"""Definition text analysis: every string a model reads from a server, revealed and read sentence by sentence.

The scanner checks (``poisoning``, ``hidden_content``, ``exfil_params``) and the runtime gateway share these
pure functions: snapshot in, :class:`SiteAnalysis` values out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from garrison.analysis.directives import Directive, Scope, analyse_text, make_scope, make_scope_cache_clear
from garrison.analysis.normalize import Revealed, make_visible, reveal
from garrison.model import Definition, Evidence, ServerSnapshot, iter_texts

__all__ = [
    "MAX_TEXT_CHARS",
    "Site",
    "SiteAnalysis",
    "Text",
    "analyse_site",
    "clear_caches",
    "evidence_for",
    "revealed",
    "scope_for",
    "scopes",
    "server_scope",
    "server_tools",
    "sites",
    "texts",
]

MAX_TEXT_CHARS = 100_000
"""Text beyond this many characters of one field is not read; ``hidden_content`` reports such fields (G207)."""
_CACHE_SIZE = 8_192


@dataclass(frozen=True, slots=True)
class Site:
    """One string of a server: ``target`` is a definition ref or ``server``; ``location`` the field path."""

    target: str
    location: str
    text: str
    scope: Scope


@dataclass(frozen=True, slots=True)
class SiteAnalysis:
    site: Site
    revealed: Revealed
    directives: tuple[Directive, ...]


@lru_cache(maxsize=_CACHE_SIZE)
def revealed(text: str) -> Revealed:
    """:func:`garrison.analysis.normalize.reveal`, cached: several checks read the same strings."""
    return reveal(text[:MAX_TEXT_CHARS])


def server_tools(server: ServerSnapshot) -> frozenset[str]:
    """Lower-cased names of the server's tools and prompts (a definition's siblings)."""
    return frozenset(d.name.lower() for d in (*server.tools, *server.prompts))


def scope_for(definition: Definition, server: ServerSnapshot, tools: frozenset[str] | None = None) -> Scope:
    """``tools`` is :func:`server_tools` of ``server``; pass it when scoping many definitions of a server."""
    return make_scope(definition.name, definition.description, title=definition.title, server=server.name,
                      tools=server_tools(server) if tools is None else tools)


def server_scope(server: ServerSnapshot, tools: frozenset[str] | None = None) -> Scope:
    tools = server_tools(server) if tools is None else tools
    info = server.server_info or {}
    title = info.get("title") if isinstance(info.get("title"), str) else None
    return make_scope(str(info.get("name") or server.name), "", title=title, server=server.name, tools=tools)


@dataclass(frozen=True, slots=True)
class Text:
    """One string of a server as :func:`texts` lists it; ``definition`` is ``None`` for the instructions."""

    target: str
    location: str
    text: str
    definition: Definition | None


_T = TypeVar("_T")
_MEMOS: list[dict[int, tuple[ServerSnapshot, Any]]] = []


def _per_snapshot(build: Callable[[ServerSnapshot], _T]) -> Callable[[ServerSnapshot], _T]:
    """Memoise ``build`` by snapshot identity for the length of a scan (the snapshot is kept beside its
    result, so its id cannot be reused); :func:`clear_caches` empties it."""
    memo: dict[int, tuple[ServerSnapshot, Any]] = {}
    _MEMOS.append(memo)

    def cached(server: ServerSnapshot) -> _T:
        hit = memo.get(id(server))
        if hit is not None and hit[0] is server:
            result: _T = hit[1]
            return result
        if len(memo) >= _CACHE_SIZE:
            memo.clear()
        found = build(server)
        memo[id(server)] = (server, found)
        return found

    cached.__doc__ = build.__doc__
    return cached


@_per_snapshot
def texts(server: ServerSnapshot) -> tuple[Text, ...]:
    """Every string of ``server`` a model reads: the instructions, then each definition's
    :func:`~garrison.model.iter_texts`. Several checks read the same server; the list is built once per
    snapshot object."""
    out = [Text("server", "instructions", server.instructions, None)] if server.instructions else []
    for definition in server.definitions:
        out.extend(Text(definition.ref, site.location, site.text, definition) for site in iter_texts(definition))
    return tuple(out)


@_per_snapshot
def scopes(server: ServerSnapshot) -> tuple[Scope, ...]:
    """The scope of each of ``server.definitions``, in order: what its strings are judged against."""
    tools = server_tools(server)
    return tuple(scope_for(d, server, tools) for d in server.definitions)


@_per_snapshot
def sites(server: ServerSnapshot) -> tuple[Site, ...]:
    """Every string of ``server`` a model reads, with the scope it should be judged against.

    Several checks read the same server; the list is built once per snapshot object.
    """
    by_definition = {id(d): scope for d, scope in zip(server.definitions, scopes(server), strict=True)}
    found = []
    for t in texts(server):
        if t.definition is None:
            scope = server_scope(server)
        else:
            scope = by_definition[id(t.definition)]
        found.append(Site(t.target, t.location, t.text, scope))
    return tuple(found)


@lru_cache(maxsize=_CACHE_SIZE)
def _directives(text: str, scope: Scope, parameter: bool) -> tuple[Directive, ...]:
    return tuple(analyse_text(text, scope, parameter=parameter))


def _describes_parameter(location: str) -> bool:
    """``inputSchema.properties.x.description`` or a prompt's ``arguments[i].description``."""
    return location.endswith(".description") and (".properties." in location or location.startswith("arguments["))


def clear_caches() -> None:
    """Forget cached results (benchmarks measure cold runs; long-lived processes may free memory)."""
    revealed.cache_clear()
    _directives.cache_clear()
    for memo in _MEMOS:
        memo.clear()
    make_scope_cache_clear()


def analyse_site(site: Site) -> SiteAnalysis:
    """Reveal the string and read its sentences. Identifiers (no spaces) are revealed, not read as prose."""
    shown = revealed(site.text)
    prose = " " in shown.text or "\n" in shown.text
    directives = _directives(shown.text, site.scope, _describes_parameter(site.location)) if prose else ()
    return SiteAnalysis(site, shown, directives)


def evidence_for(analysis: SiteAnalysis, start: int, end: int) -> Evidence:
    """Evidence for ``[start, end)`` of the revealed text. Offsets are kept when the field needed no
    revealing; otherwise the original is shown with invisible characters marked, the sentence as
    ``decoded``."""
    shown = analysis.revealed
    sentence = shown.text[start:end]
    if not shown.hidden:
        return Evidence(sentence, start, end)
    return Evidence(make_visible(shown.original)[:500], decoded=sentence)
