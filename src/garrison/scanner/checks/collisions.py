"""Name collisions and typosquatting across servers (G5xx).

A model picks tools by name and description. A second server that offers the same tool name, or a
look-alike of it (``search_query_v1``, ``search_the_query``, ``get_word_document_info``, a homoglyph), can
steal the calls meant for the original; a server named like another one (``check_sig_`` beside ``check_sig``,
a typo of a well-known server) can be mistaken for it.

Which side is blamed: findings target the *variant*, never the original. The variant is decided, in order, by
(1) server names: of two look-alike server names the longer/decorated one, or the one that is not a
well-known name, is the variant; (2) tool names: the decorated name (extra words, a version suffix) is the
variant; (3) definitions: the copy with additions (the other's description words plus more, or extra
parameters) is the variant. When none of these decides, both sides are reported with severity capped at
medium. The original is named in ``related``.

Severity: a name relation alone is low (generic names such as ``get_status`` or ``list_tables``) or medium;
a copied description (the variant repeats the original's description) makes it high. Identical definitions
on two servers (the same server configured twice) are low.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Literal

from garrison.analysis.capabilities import name_tokens, split_words
from garrison.analysis.normalize import reveal
from garrison.model import CheckInfo, Definition, Evidence, Finding, ServerSnapshot, Severity
from garrison.scanner.checks.interface import ScanContext

__all__ = ["CHECK", "CollisionsCheck", "NameRelation", "fold", "name_relation", "server_name_relation"]

MAX_DEFINITIONS = 20_000
"""Definitions beyond this many (over all servers) are not compared pairwise."""

_TECHNIQUES = ("AML.T0010", "T1036")

SAME_NAME = CheckInfo(
    id="G501", slug="tool-name-collision", title="Tool name also offered by another server",
    severity=Severity.MEDIUM,
    remediation="Keep only one server offering this tool, or check that the second one is the server you "
    "meant to install.",
    techniques=_TECHNIQUES,
)
LOOKALIKE_TOOL = CheckInfo(
    id="G502", slug="tool-name-lookalike", title="Tool name imitates another server's tool",
    severity=Severity.MEDIUM,
    remediation="Remove the server that imitates the tool, or verify its source; a look-alike name with a "
    "copied description is a typical shadowing attack.",
    techniques=_TECHNIQUES,
)
LOOKALIKE_SERVER = CheckInfo(
    id="G503", slug="server-name-lookalike", title="Server name imitates another configured server",
    severity=Severity.MEDIUM,
    remediation="Check where both servers come from and remove the impostor.",
    techniques=_TECHNIQUES,
)
SQUATS_REFERENCE = CheckInfo(
    id="G504", slug="server-name-squats-reference", title="Server name imitates a well-known server",
    severity=Severity.MEDIUM,
    remediation="Check the package or URL behind this server; install the well-known server from its "
    "official source instead.",
    techniques=("T1195.002", "T1036"),
)

# Words that decorate a name without changing what it names.
_AFFIXES = frozenset(
    "the a an my our your new pro plus official real latest best ultra premium fixed secure safe "
    "improved enhanced updated better fast quick super true original tool tools".split()
)
_SERVER_AFFIXES = _AFFIXES | frozenset("mcp server srv".split())
# Names made only of these words are generic: unrelated servers share them by chance.
_GENERIC = frozenset(
    "get set list search find query fetch read write create update delete add remove run execute status "
    "info data item result text file table group user log record config setting version health name id "
    "document page message content detail entry object resource node event task project tag label comment "
    "note report metric check test ping echo help describe show view open close start stop save load all "
    "new by for of to from in on current recent".split()
)
_STOP = frozenset(
    "a an the of to for and or in on with from by is are be this that it as at your you its into using args "
    "returns return param parameter default".split()
)

Relation = Literal["same", "variant", "reordered", "stuffed", "swapped", "typo"]


@dataclass(frozen=True, slots=True)
class NameRelation:
    """How two names relate. ``longer`` is 0 or 1 when one name is the decorated form of the other."""

    kind: Relation
    longer: int | None = None


def fold(name: str) -> str:
    """Case-, width- and look-alike-folded form of a name (``Ѕearch`` → ``search``)."""
    return unicodedata.normalize("NFKC", reveal(name).text).casefold()


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _is_version(word: str) -> bool:
    return word.isdigit() or (len(word) > 1 and word[0] == "v" and word[1:].isdigit())


@dataclass(frozen=True, slots=True)
class _Name:
    raw: str
    folded: str
    joined: str
    core: tuple[str, ...]

    @classmethod
    def of(cls, name: str, affixes: frozenset[str] = _AFFIXES) -> _Name:
        return _parse(name, affixes)

    @classmethod
    def parse(cls, name: str, affixes: frozenset[str]) -> _Name:
        folded = fold(name)
        tokens = tuple(_stem(t) for t in name_tokens(folded))
        core = tuple(t for t in tokens if t not in affixes and not _is_version(t))
        return cls(name, folded, "".join(name_tokens(folded)), core or tokens)

    @property
    def generic(self) -> bool:
        return len(self.core) <= 1 or all(t in _GENERIC for t in self.core)


@lru_cache(maxsize=8192)
def _parse(name: str, affixes: frozenset[str]) -> _Name:
    return _Name.parse(name, affixes)


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _typo_limit(length: int) -> int:
    return 0 if length < 6 else 1 if length < 10 else 2


def _is_subsequence(short: Sequence[str], long: Sequence[str]) -> bool:
    it = iter(long)
    return all(word in it for word in short)


def _longer(a: _Name, b: _Name) -> int | None:
    """Which name carries extra letters (``search_query_v2``) or extra characters around the same letters
    (``check_sig_``); ``None`` when they only differ in spelling (``searchQuery``)."""
    if len(a.joined) != len(b.joined):
        return 0 if len(a.joined) > len(b.joined) else 1
    if a.folded != b.folded:
        if b.folded in a.folded:
            return 0
        if a.folded in b.folded:
            return 1
    return None


def _relation(a: _Name, b: _Name, min_core: int = 2) -> NameRelation | None:
    if a.raw == b.raw:
        return NameRelation("same")
    longer = _longer(a, b)
    if a.joined == b.joined or a.core == b.core:
        return NameRelation("variant", longer)
    if sorted(a.core) == sorted(b.core):
        return NameRelation("reordered")
    short, long = (a.core, b.core) if len(a.core) <= len(b.core) else (b.core, a.core)
    long_enough = len(short) >= min_core and sum(map(len, short)) >= 4
    if long_enough and len(long) - len(short) == 1 and _is_subsequence(short, long):
        return NameRelation("stuffed", 0 if long is a.core else 1)
    if len(a.core) == len(b.core) >= 3 and sum(x != y for x, y in zip(a.core, b.core, strict=True)) == 1:
        return NameRelation("swapped")
    if len(a.core) == len(b.core):
        diff = [(x, y) for x, y in zip(a.core, b.core, strict=True) if x != y]
        if len(diff) == 1:
            x, y = diff[0]
            limit = 0 if min(len(x), len(y)) < 5 else 1 if min(len(x), len(y)) < 10 else 2
            if _distance(x, y, limit) <= limit:
                return NameRelation("typo", longer)
    return None


def name_relation(a: str, b: str) -> NameRelation | None:
    """How tool name ``a`` relates to tool name ``b``, or ``None`` when they are unrelated."""
    return _relation(_Name.of(a), _Name.of(b))


def server_name_relation(a: str, b: str) -> NameRelation | None:
    """Like :func:`name_relation` for server names (``mcp``/``server`` words are decoration)."""
    return _relation(_Name.of(a, _SERVER_AFFIXES), _Name.of(b, _SERVER_AFFIXES), min_core=1)


# --- definitions ---

def _words(defn: Definition) -> frozenset[str]:
    return frozenset(_stem(w) for w in split_words(defn.description) if w not in _STOP)


Likeness = Literal["identical", "copied", "similar", "different"]


def _likeness(a: Definition, b: Definition) -> Likeness:
    if dict(a.raw) == dict(b.raw):
        return "identical"
    wa, wb = _words(a), _words(b)
    union = wa | wb
    if not union:
        return "different"
    jaccard = len(wa & wb) / len(union)
    overlap = len(wa & wb) / min(len(wa), len(wb)) if wa and wb else 0.0
    same_text = a.description.strip() == b.description.strip()
    if (same_text and len(wa) >= 3) or (jaccard >= 0.7 and len(union) >= 6) or (
        overlap >= 0.85 and min(len(wa), len(wb)) >= 6
    ):
        return "copied"
    return "similar" if jaccard >= 0.4 else "different"


def _has_additions(base: Definition, copy: Definition) -> bool:
    """``copy`` says everything ``base`` says and more, or says the same and takes extra parameters."""
    wa, wb = _words(base), _words(copy)
    if wa < wb:
        return True
    return wa == wb and set(base.parameters()) < set(copy.parameters())


@dataclass(frozen=True, slots=True)
class _Item:
    server: ServerSnapshot
    defn: Definition
    name: _Name

    @property
    def ref(self) -> str:
        return f"{self.server.name}/{self.defn.ref}"


def _server_names(server: ServerSnapshot) -> tuple[str, ...]:
    names = [server.name]
    info_name = (server.server_info or {}).get("name")
    if isinstance(info_name, str) and info_name and info_name != server.name:
        names.append(info_name)
    return tuple(names)


class CollisionsCheck:
    infos: ClassVar[tuple[CheckInfo, ...]] = (SAME_NAME, LOOKALIKE_TOOL, LOOKALIKE_SERVER, SQUATS_REFERENCE)

    def run(self, ctx: ScanContext) -> Iterable[Finding]:
        if ctx.reference_names:
            reference = ctx.reference_names
        else:
            from garrison.scanner.data import reference_server_names

            reference = reference_server_names()
        known = {fold(n) for n in reference}
        servers = ctx.servers
        server_blame = self._server_pairs(servers, known)
        overlapping: set[tuple[str, str]] = set()
        yield from self._tool_findings(servers, known, server_blame, overlapping)
        yield from self._server_findings(servers, known, server_blame, overlapping)

    # Server pairs: which of two look-alike configured servers is the variant.
    @staticmethod
    def _server_pairs(
        servers: Sequence[ServerSnapshot], known: set[str]
    ) -> dict[tuple[str, str], tuple[NameRelation, int | None]]:
        out: dict[tuple[str, str], tuple[NameRelation, int | None]] = {}
        for i, a in enumerate(servers):
            for b in servers[i + 1:]:
                rel = server_name_relation(a.name, b.name)
                if rel is None or rel.kind == "same":
                    continue
                a_known, b_known = fold(a.name) in known, fold(b.name) in known
                blame = 1 if a_known and not b_known else 0 if b_known and not a_known else rel.longer
                out[(a.name, b.name)] = (rel, blame)
        return out

    def _tool_findings(
        self, servers: Sequence[ServerSnapshot], known: set[str],
        server_blame: dict[tuple[str, str], tuple[NameRelation, int | None]],
        overlapping: set[tuple[str, str]],
    ) -> Iterator[Finding]:
        items = [_Item(s, d, _Name.of(d.name)) for s in servers for d in s.tools + s.prompts]
        if len(items) > MAX_DEFINITIONS:
            items = items[:MAX_DEFINITIONS]
        for i, a in enumerate(items):
            for b in items[i + 1:]:
                if a.server.name == b.server.name or a.defn.kind != b.defn.kind:
                    continue
                rel = _relation(a.name, b.name)
                if rel is None:
                    continue
                for finding in self._pair(a, b, rel, known, server_blame):
                    original = b.server.name if finding.server == a.server.name else a.server.name
                    overlapping.add((finding.server, original))
                    yield finding

    @staticmethod
    def _pair(
        a: _Item, b: _Item, rel: NameRelation, known: set[str],
        server_blame: dict[tuple[str, str], tuple[NameRelation, int | None]],
    ) -> Iterator[Finding]:
        likeness = _likeness(a.defn, b.defn)
        if rel.kind in ("stuffed", "swapped") and likeness == "different":
            return
        if likeness == "identical":
            severity = Severity.LOW
        elif likeness == "copied":
            severity = Severity.HIGH
        elif rel.kind == "same":
            severity = Severity.LOW if a.name.generic else Severity.MEDIUM
        elif rel.kind in ("stuffed", "swapped") or likeness == "different":
            severity = Severity.LOW
        else:
            severity = Severity.LOW if a.name.generic and b.name.generic else Severity.MEDIUM
        pair = server_blame.get((a.server.name, b.server.name))
        flipped = server_blame.get((b.server.name, a.server.name))
        a_known, b_known = fold(a.server.name) in known, fold(b.server.name) in known
        blame: int | None
        if pair is not None and pair[1] is not None:
            blame = pair[1]
        elif flipped is not None and flipped[1] is not None:
            blame = 1 - flipped[1]
        elif a_known != b_known:
            blame = 1 if a_known else 0
        elif rel.kind in ("variant", "stuffed") and rel.longer is not None:
            blame = rel.longer
        elif _has_additions(a.defn, b.defn):
            blame = 1
        elif _has_additions(b.defn, a.defn):
            blame = 0
        else:
            blame = None
        if (pair or flipped) and likeness != "identical":
            severity = max(severity, Severity.MEDIUM)
        info = SAME_NAME if rel.kind == "same" else LOOKALIKE_TOOL
        sides = [(a, b), (b, a)] if blame is None else [(b, a)] if blame == 1 else [(a, b)]
        for variant, original in sides:
            sev = min(severity, Severity.MEDIUM) if blame is None else severity
            what = "the same name as" if rel.kind == "same" else f"a look-alike ({rel.kind}) of"
            copy = {"identical": "an identical definition", "copied": "a copied description",
                    "similar": "a similar description", "different": "a different description"}[likeness]
            yield info.finding(
                server=variant.server.name,
                target=variant.defn.ref,
                location="name",
                message=f"{variant.defn.kind} {variant.defn.name!r} has {what} {original.defn.name!r} on "
                f"server {original.server.name!r}, with {copy}",
                evidence=Evidence(variant.defn.name, 0, len(variant.defn.name)),
                severity=sev,
                related=(original.ref,),
            )

    @staticmethod
    def _server_findings(
        servers: Sequence[ServerSnapshot], known: set[str],
        server_blame: dict[tuple[str, str], tuple[NameRelation, int | None]],
        overlapping: set[tuple[str, str]],
    ) -> Iterator[Finding]:
        by_name = {s.name: s for s in servers}
        for (a, b), (rel, blame) in sorted(server_blame.items()):
            sides = [(a, b), (b, a)] if blame is None else [(b, a)] if blame == 1 else [(a, b)]
            for variant, original in sides:
                shares = (variant, original) in overlapping
                if rel.kind in ("variant", "typo", "reordered"):
                    severity = Severity.HIGH if shares else Severity.MEDIUM
                else:
                    severity = Severity.MEDIUM if shares else Severity.LOW
                if blame is None:
                    severity = min(severity, Severity.MEDIUM)
                tail = " and imitates its tools" if shares else ""
                yield LOOKALIKE_SERVER.finding(
                    server=variant, target="server", location="name",
                    message=f"server name {variant!r} is a look-alike ({rel.kind}) of configured server "
                    f"{original!r}{tail}",
                    evidence=Evidence(variant, 0, len(variant)), severity=severity,
                    related=(f"{original}/server",),
                )
        for name, server in by_name.items():
            for own in _server_names(server):
                if fold(own) in known and own.isascii():
                    continue
                match = _closest_reference(own, known)
                if match is None:
                    continue
                yield SQUATS_REFERENCE.finding(
                    server=name, target="server", location="name" if own == name else "serverInfo.name",
                    message=f"server name {own!r} looks like the well-known server {match!r}",
                    evidence=Evidence(own, 0, len(own)),
                    related=(f"{match}/server",),
                )


def _closest_reference(name: str, known: set[str]) -> str | None:
    """A well-known name that ``name`` is a typo or look-alike of (not a mere re-spelling: users write server
    keys with their own case and separators)."""
    mine = _Name.of(name, _SERVER_AFFIXES)
    homoglyph = not name.isascii() and mine.folded.isascii()
    for ref in sorted(known):
        other = _Name.of(ref, _SERVER_AFFIXES)
        if mine.joined == other.joined:
            if homoglyph:
                return ref
            continue
        limit = _typo_limit(min(len(mine.joined), len(other.joined)))
        if limit and _distance(mine.joined, other.joined, limit) <= limit:
            return ref
    return None


CHECK = CollisionsCheck()
