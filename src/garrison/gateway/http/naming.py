"""Namespacing of aggregated names (pure): ``<prefix>__<name>``.

Prefixes are lower-case letters, digits and ``-`` (never ``_``), so the first ``__`` in a listed name is always
the boundary and two upstreams that both have a tool ``echo`` list ``files__echo`` and ``search__echo``.
An upstream with prefix ``""`` lists its names unchanged; a name of its own that would read as another
upstream's namespaced name (``search__x`` when an upstream ``search`` exists) is hidden, so routing never
depends on the order of listings.

Resource URIs are not rewritten: the gateway keeps a URI → upstream map from the listings it has relayed
(:class:`UriRoutes`), and resource templates route by their fixed text before the first ``{``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["SEPARATOR", "Namespace", "UriRoutes"]

SEPARATOR = "__"


@dataclass(frozen=True, slots=True)
class Namespace:
    """Maps upstream names to prefixes and back."""

    prefixes: dict[str, str]
    """upstream name → prefix (``""`` for the transparent upstream)."""

    def public(self, server: str, name: str) -> str | None:
        """The name listed to clients, or ``None`` if the name must be hidden (it would be ambiguous)."""
        prefix = self.prefixes[server]
        if prefix:
            return f"{prefix}{SEPARATOR}{name}"
        head, sep, _ = name.partition(SEPARATOR)
        if sep and any(p == head for s, p in self.prefixes.items() if s != server and p):
            return None
        return name

    def route(self, public: str) -> tuple[str, str] | None:
        """``(upstream, original name)`` for a listed name, or ``None`` if no upstream owns it."""
        head, sep, rest = public.partition(SEPARATOR)
        if sep and rest:
            for server, prefix in self.prefixes.items():
                if prefix == head:
                    return server, rest
        bare = [server for server, prefix in self.prefixes.items() if not prefix]
        if bare and self.public(bare[0], public) is not None:
            return bare[0], public
        return None


@dataclass(slots=True)
class UriRoutes:
    """Which upstream listed which resource URI or template (first listing wins on a clash)."""

    exact: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)

    def learn(self, server: str, uris: Iterable[str], templates: Iterable[str] = ()) -> list[str]:
        """Record a listing; returns the URIs already owned by another upstream (hidden from this one)."""
        clashes: list[str] = []
        for uri in uris:
            owner = self.exact.setdefault(uri, server)
            if owner != server:
                clashes.append(uri)
        for template in templates:
            fixed = template.split("{", 1)[0]
            self.templates.setdefault(fixed, server)
        return clashes

    def forget(self, server: str) -> None:
        self.exact = {u: s for u, s in self.exact.items() if s != server}
        self.templates = {t: s for t, s in self.templates.items() if s != server}

    def route(self, uri: str) -> str | None:
        if uri in self.exact:
            return self.exact[uri]
        best = max((fixed for fixed in self.templates if fixed and uri.startswith(fixed)), key=len, default=None)
        return self.templates[best] if best is not None else None
