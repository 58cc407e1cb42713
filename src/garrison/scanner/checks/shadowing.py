"""Cross-tool contamination: text of one server that talks about another server's tools (G4xx).

Every string a model reads (:func:`garrison.model.iter_texts` and the server ``instructions``) is searched
for identifiers that name a tool or prompt of a *different* configured server, in any spelling
(``send_email``, ``sendEmail``, ``send-email``, ``github.send_email``, ``mcp__github__send_email``). A server
that mentions its own tools is normal and not reported. Mentions are judged by their sentence: a directive
(``always``, ``instead``, ``before calling``, ``is broken``, ``bcc``) about another server's tool is high,
a bare mention medium. One-word tool names (``add``, ``search``) only count when quoted or called a tool, so
ordinary prose does not match.

``G402`` covers the same for another server's *name* (a directive is medium; a bare mention is low), and
``G403`` directives about "all other tools/servers" in general.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from garrison.analysis.capabilities import name_tokens
from garrison.analysis.definitions import MAX_TEXT_CHARS as SHARED_MAX_CHARS
from garrison.analysis.definitions import revealed, texts
from garrison.analysis.normalize import Revealed, reveal
from garrison.model import CheckInfo, Evidence, Finding, ServerSnapshot, Severity
from garrison.scanner.checks.interface import ScanContext

__all__ = ["CHECK", "ShadowingCheck"]

MAX_TEXT_CHARS = 100_000
"""Longer texts are searched up to this many characters."""
MAX_EVIDENCE_CHARS = 240

_TECHNIQUES = ("AML.T0051.001", "AML.T0053")

TOOL_REFERENCE = CheckInfo(
    id="G401", slug="cross-server-tool-reference", title="Definition refers to another server's tool",
    severity=Severity.HIGH,
    remediation="A server has no business describing or redirecting another server's tools: remove the "
    "server or the text, and check what the mentioned tool was asked to do.",
    techniques=_TECHNIQUES,
)
SERVER_REFERENCE = CheckInfo(
    id="G402", slug="cross-server-reference", title="Definition gives instructions about another server",
    severity=Severity.MEDIUM,
    remediation="Check why this server talks about another configured server; remove it if it tries to steer "
    "how the other server is used.",
    techniques=_TECHNIQUES,
)
GENERIC_REFERENCE = CheckInfo(
    id="G403", slug="other-tools-directive",
    title="Definition gives instructions about other tools or servers",
    severity=Severity.MEDIUM,
    remediation="A tool description should describe its own tool; remove instructions that govern other "
    "tools.",
    techniques=_TECHNIQUES,
)

_IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-./]*[A-Za-z0-9]")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_DIRECTIVE = re.compile(
    r"\b(?:always|never|must|instead|rather\s+than|do\s+not|don'?t|make\s+sure|ensure|whenever|"
    r"before\s+(?:using|calling|invoking|running|you)|after\s+(?:using|calling|invoking|running|you)|"
    r"when(?:ever)?\s+(?:using|calling|invoking|you\s+(?:use|call|invoke))|"
    r"(?:is|are)\s+(?:broken|deprecated|unavailable|disabled|insecure|outdated|unreliable|not\s+working|"
    r"no\s+longer)|replace[sd]?|override[sd]?|redirect\w*|bcc|cc\s*:|forward\w*|also\s+(?:send|call|include|"
    r"add|copy)|prefer\w*|important|first\s+call|do\s+(?:this|that)\s+first|ignore)\b",
    re.I,
)
_OTHER_TOOLS = re.compile(
    r"\b(?:all|any|every|other|another)\s+(?:other\s+)?(?:mcp\s+)?(?:tools?|servers?|functions?|plugins?)\b",
    re.I,
)
_QUOTES = "`'\"*"


@dataclass(frozen=True, slots=True)
class _Owner:
    server: str
    ref: str


@dataclass(frozen=True, slots=True)
class _Word:
    """What one identifier can name, worked out once per scan: ``tools`` lists ``(prefix, key, owners)`` for
    each reading of the word that names a tool, in the order they are tried; ``servers`` the servers its
    tokens name."""

    tokens: tuple[str, ...]
    tools: tuple[tuple[tuple[str, ...], tuple[str, ...], frozenset[_Owner]], ...]
    servers: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Index:
    tools: dict[tuple[str, ...], frozenset[_Owner]]
    servers: dict[tuple[str, ...], frozenset[str]]
    endings: tuple[str, ...] = ()
    """The last word of every tool and server key: an identifier (lower-cased) that ends with none of them
    names nothing, since its last word ends it."""
    words: dict[str, _Word | None] = field(default_factory=dict)
    """Identifier → :class:`_Word` (``None`` when it names nothing), filled as texts are read."""

    def word(self, word: str) -> _Word | None:
        if word in self.words:
            return self.words[word]
        found = self.words[word] = self._resolve(word) if word.lower().endswith(self.endings) else None
        return found

    def _resolve(self, word: str) -> _Word | None:
        pieces = [p for p in re.split(r"[./]|__", word) if p]
        tokens = name_tokens(word)
        candidates: list[tuple[tuple[str, ...], tuple[str, ...]]] = [((), tokens)]
        if len(pieces) > 1:
            candidates.append((name_tokens(".".join(pieces[:-1])), name_tokens(pieces[-1])))
        candidates.extend((tokens[:n], tokens[n:]) for n in range(1, len(tokens)) if tokens[:n] in self.servers)
        tools = []
        for prefix, key in candidates:
            owners = self.tools.get(key)
            if not owners:
                continue
            if prefix:
                named = {s for p in (prefix, prefix[1:] if prefix[:1] == ("mcp",) else prefix)
                         for s in self.servers.get(p, ())}
                owners = frozenset(o for o in owners if o.server in named) or owners
            tools.append((prefix, key, owners))
        servers = self.servers.get(tokens, frozenset())
        return _Word(tokens, tuple(tools), servers) if tools or servers else None


def _build_index(servers: Sequence[ServerSnapshot]) -> _Index:
    tools: dict[tuple[str, ...], set[_Owner]] = defaultdict(set)
    names: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for s in servers:
        for d in s.tools + s.prompts:
            key = name_tokens(d.name)
            if key:
                tools[key].add(_Owner(s.name, d.ref))
        own_names = {s.name}
        info = (s.server_info or {}).get("name")
        if isinstance(info, str) and info:
            own_names.add(info)
        for n in own_names:
            key = name_tokens(n)
            if key and sum(map(len, key)) >= 4:
                names[key].add(s.name)
    endings = tuple(sorted({key[-1] for key in (*tools, *names)}))
    return _Index({k: frozenset(v) for k, v in tools.items()}, {k: frozenset(v) for k, v in names.items()},
                  endings)


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    left = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        left = m.end()
    tail = _SENTENCE_END.search(text, end)
    right = tail.start() if tail else len(text)
    if right - left > MAX_EVIDENCE_CHARS:
        left = max(left, start - MAX_EVIDENCE_CHARS // 2)
        right = min(right, end + MAX_EVIDENCE_CHARS // 2)
    return left, right


_CALL_BEFORE = re.compile(r"\b(?:the|use|call|using|calling|invoke|invoking|run|running)\s+$", re.I)
_NAMED_BEFORE = re.compile(r"\b(?:tool|function|server)\s+(?:named|called)\s+$", re.I)
_KIND_AFTER = re.compile(r"\s*(?:tool|function|command)\b", re.I)
_SERVER_AFTER = re.compile(r"\s*(?:mcp\b|server\b|tools\b|integration\b|plugin\b)", re.I)


def _quoted(text: str, start: int, end: int) -> bool:
    before, after = text[max(0, start - 1):start], text[end:end + 1]
    return bool(before and after and before in _QUOTES and after in _QUOTES)


def _marked_as_tool(text: str, start: int, end: int) -> bool:
    """A one-word name counts only when quoted, or written as ``the add tool`` / ``tool named add``."""
    if _quoted(text, start, end):
        return True
    before = text[max(0, start - 24):start]
    if _NAMED_BEFORE.search(before):
        return True
    return bool(_CALL_BEFORE.search(before) and _KIND_AFTER.match(text, end))


def _marked_as_server(text: str, start: int, end: int, tokens: tuple[str, ...]) -> bool:
    """A server name counts when written as an identifier (``ddg-search``), quoted, or called a server."""
    return len(tokens) > 1 or _quoted(text, start, end) or bool(_SERVER_AFTER.match(text, end))


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    owners: frozenset[_Owner] = frozenset()
    server_names: frozenset[str] = frozenset()


def _mentions(text: str, index: _Index) -> Iterator[_Mention]:
    scope = text[:MAX_TEXT_CHARS]
    naming = {ident for ident in set(_IDENT.findall(scope)) if index.word(ident) is not None}
    if not naming:
        return
    for m in _IDENT.finditer(scope):
        if m.group(0) not in naming:
            continue
        word = index.word(m.group(0))
        if word is None:
            continue
        for prefix, key, owners in word.tools:
            if not prefix and len(key) == 1 and not _marked_as_tool(text, m.start(), m.end()):
                continue
            yield _Mention(m.start(), m.end(), owners=owners)
            break
        else:
            if word.servers and _marked_as_server(text, m.start(), m.end(), word.tokens):
                yield _Mention(m.start(), m.end(), server_names=word.servers)


def _reveal(text: str) -> Revealed:
    """``reveal(text[:MAX_TEXT_CHARS])``, shared with the content checks when the text is short enough."""
    if len(text) <= min(MAX_TEXT_CHARS, SHARED_MAX_CHARS):
        return revealed(text)
    return reveal(text[:MAX_TEXT_CHARS])


@dataclass(frozen=True, slots=True)
class _Site:
    server: ServerSnapshot
    target: str
    location: str
    text: str


def _sites(server: ServerSnapshot) -> Iterator[_Site]:
    """The server's strings (:func:`garrison.analysis.definitions.texts`, shared with the content checks)
    but its definitions' own names."""
    for t in texts(server):
        if t.location == "name" or t.location.endswith("#name"):
            continue
        yield _Site(server, t.target, t.location, t.text)


class ShadowingCheck:
    infos: ClassVar[tuple[CheckInfo, ...]] = (TOOL_REFERENCE, SERVER_REFERENCE, GENERIC_REFERENCE)

    def run(self, ctx: ScanContext) -> Iterable[Finding]:
        index = _build_index(ctx.servers)
        for server in ctx.servers:
            for site in _sites(server):
                yield from self._site(site, index)

    @staticmethod
    def _site(site: _Site, index: _Index) -> Iterator[Finding]:
        text = site.text
        found = list(_mentions(text, index))
        decoded: str | None = None
        if not found:
            shown = _reveal(text)
            if shown.changed:
                found = list(_mentions(shown.text, index))
                decoded, text = shown.text, shown.text
        me = site.server.name
        tool_refs: dict[str, bool] = {}
        server_refs: dict[str, bool] = {}
        first: dict[str, tuple[int, int]] = {}
        for mention in found:
            lo, hi = _sentence(text, mention.start, mention.end)
            directive = bool(_DIRECTIVE.search(text, lo, hi))
            others = [o for o in mention.owners if o.server != me]
            if mention.owners and len(others) == len(mention.owners):
                for o in others:
                    ref = f"{o.server}/{o.ref}"
                    tool_refs[ref] = tool_refs.get(ref, False) or directive
                first.setdefault("tool", (lo, hi))
            for name in mention.server_names - {me}:
                ref = f"{name}/server"
                server_refs[ref] = server_refs.get(ref, False) or directive
                first.setdefault("server", (lo, hi))

        def evidence(kind: str) -> Evidence:
            lo, hi = first[kind]
            if decoded is not None:
                return Evidence(site.text[:MAX_EVIDENCE_CHARS], decoded=text[lo:hi])
            return Evidence(text[lo:hi], lo, hi)

        if tool_refs:
            directive = any(tool_refs.values())
            yield TOOL_REFERENCE.finding(
                server=me, target=site.target, location=site.location,
                message=f"{site.location} {'gives instructions about' if directive else 'mentions'} "
                f"{', '.join(sorted(tool_refs))} of another server",
                evidence=evidence("tool"), severity=Severity.HIGH if directive else Severity.MEDIUM,
                related=tuple(sorted(tool_refs)),
            )
        elif server_refs:
            directive = any(server_refs.values())
            yield SERVER_REFERENCE.finding(
                server=me, target=site.target, location=site.location,
                message=f"{site.location} {'gives instructions about' if directive else 'mentions'} server "
                f"{', '.join(r.removesuffix('/server') for r in sorted(server_refs))}",
                evidence=evidence("server"), severity=Severity.MEDIUM if directive else Severity.LOW,
                related=tuple(sorted(server_refs)),
            )
        else:
            for m in _OTHER_TOOLS.finditer(text[:MAX_TEXT_CHARS]):
                lo, hi = _sentence(text, m.start(), m.end())
                if _DIRECTIVE.search(text, lo, hi):
                    yield GENERIC_REFERENCE.finding(
                        server=me, target=site.target, location=site.location,
                        message=f"{site.location} gives instructions about other tools or servers",
                        evidence=Evidence(text[lo:hi], lo, hi) if decoded is None else Evidence(
                            site.text[:MAX_EVIDENCE_CHARS], decoded=text[lo:hi]),
                    )
                    break


CHECK = ShadowingCheck()
