"""Definition text analysis: every string a model reads from a server, revealed and read sentence by sentence.

The scanner checks (``poisoning``, ``hidden_content``, ``exfil_params``) and the runtime gateway share these
pure functions: snapshot in, :class:`SiteAnalysis` values out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from garrison.analysis.directives import Directive, Scope, analyse_text, make_scope, make_scope_cache_clear
from garrison.analysis.normalize import Revealed, make_visible, reveal
from garrison.model import Definition, Evidence, ServerSnapshot, iter_texts

__all__ = [
    "MAX_TEXT_CHARS",
    "Site",
    "SiteAnalysis",
    "analyse_site",
    "clear_caches",
    "evidence_for",
    "revealed",
    "scope_for",
    "server_scope",
    "server_tools",
    "sites",
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


_SITES: dict[int, tuple[ServerSnapshot, tuple[Site, ...]]] = {}
"""Per-scan memo of :func:`sites` by snapshot identity (the snapshot is kept, so its id cannot be reused)."""


def sites(server: ServerSnapshot) -> tuple[Site, ...]:
    """Every string of ``server`` a model reads, with the scope it should be judged against.

    Several checks read the same server; the list is built once per snapshot object.
    """
    hit = _SITES.get(id(server))
    if hit is not None and hit[0] is server:
        return hit[1]
    if len(_SITES) >= _CACHE_SIZE:
        _SITES.clear()
    found = tuple(_iter_sites(server))
    _SITES[id(server)] = (server, found)
    return found


def _iter_sites(server: ServerSnapshot) -> Iterator[Site]:
    tools = server_tools(server)
    if server.instructions:
        yield Site("server", "instructions", server.instructions, server_scope(server, tools))
    for definition in server.definitions:
        scope = scope_for(definition, server, tools)
        for text_site in iter_texts(definition):
            yield Site(definition.ref, text_site.location, text_site.text, scope)


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
    _SITES.clear()
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
