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
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import ClassVar, Literal

from garrison.analysis.capabilities import name_tokens, split_words
from garrison.analysis.definitions import MAX_TEXT_CHARS as SHARED_MAX_CHARS
from garrison.analysis.definitions import revealed
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
    # The content checks reveal every name too; the shared cache reveals each one once per scan.
    shown = revealed(name) if len(name) <= SHARED_MAX_CHARS else reveal(name)
    return unicodedata.normalize("NFKC", shown.text).casefold()


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


# --- candidate pairs ---
# Comparing every name with every other one is quadratic. Instead every name is filed under keys that any
# related name shares with it, and only names that share a key are compared (with :func:`_relation`, so the
# outcome is the same as comparing all pairs): the joined letters (``variant``), the sorted core words
# (``same``, ``variant``, ``reordered``), the sorted core with one word left out (``stuffed``) and the core with
# one position left open (``swapped``, ``typo``). Names that differ in one open position are typos only when the
# two words are long enough and within the edit limit; a large bucket of such names is split further by the
# spellings of the open word with up to ``limit`` letters deleted (two words within ``limit`` edits share one).

LARGE_BUCKET = 32
"""An open-position bucket with more names than this is split by spelling instead of compared pairwise."""


def _deletions(word: str, depth: int) -> set[str]:
    """``word`` with up to ``depth`` letters deleted, in every way."""
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def _word_limit(length: int) -> int:
    """The typo limit of :func:`_relation` for a word of this length."""
    return 0 if length < 5 else 1 if length < 10 else 2


def _may_be_typo(x: str, y: str) -> bool:
    limit = _word_limit(min(len(x), len(y)))
    return limit > 0 and abs(len(x) - len(y)) <= limit


def _candidate_pairs(names: Sequence[tuple[Hashable, _Name]], min_core: int = 2) -> list[tuple[int, int]]:
    """``(i, j)``, ``i < j``, of every pair of names that may be related, in the order of a pairwise loop.

    ``names`` pairs each name with a group; names of one group are never paired (one server's own tools).
    """
    buckets: dict[Hashable, list[int]] = {}
    open_buckets: dict[tuple[int, int, tuple[str, ...]], list[int]] = {}
    for i, (_, name) in enumerate(names):
        core = name.core
        size = len(core)
        # The joined letters, the sorted core words, and the sorted core words with one left out.
        keys: set[Hashable] = {name.joined, tuple(sorted(core))}
        for pos in range(size):
            rest = core[:pos] + core[pos + 1:]
            if size > min_core:
                keys.add(tuple(sorted(rest)))
            open_buckets.setdefault((size, pos, rest), []).append(i)
        for key in keys:
            buckets.setdefault(key, []).append(i)
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        if len(members) > 1:
            _pair_up(names, members, pairs)
    for (length, pos, _), members in open_buckets.items():
        if len(members) < 2:
            continue
        if length >= 3:  # any two names differing in one of three or more words (``swapped``)
            _pair_up(names, members, pairs)
        elif len(members) <= LARGE_BUCKET:
            for n, i in enumerate(members):
                x = names[i][1].core[pos]
                pairs.update((i, j) for j in members[n + 1:]
                             if names[j][0] != names[i][0] and _may_be_typo(x, names[j][1].core[pos]))
        else:
            spelled: dict[str, list[int]] = defaultdict(list)
            for i in members:
                word = names[i][1].core[pos]
                if depth := _word_limit(len(word)):
                    for spelling in _deletions(word, depth):
                        spelled[spelling].append(i)
            for group in spelled.values():
                _pair_up(names, group, pairs)
    return sorted(pairs)


def _pair_up(names: Sequence[tuple[Hashable, _Name]], members: Sequence[int], pairs: set[tuple[int, int]]) -> None:
    for n, i in enumerate(members):
        group = names[i][0]
        pairs.update((i, j) for j in members[n + 1:] if names[j][0] != group)


# --- definitions ---

def _words(defn: Definition) -> frozenset[str]:
    return frozenset(_stem(w) for w in split_words(defn.description) if w not in _STOP)


class _Words(dict[int, frozenset[str]]):
    """:func:`_words` of each definition, worked out once per scan (keyed by object identity: the scan holds
    every definition for its whole run)."""

    def of(self, defn: Definition) -> frozenset[str]:
        found = self.get(id(defn))
        if found is None:
            found = self[id(defn)] = _words(defn)
        return found


Likeness = Literal["identical", "copied", "similar", "different"]


def _likeness(a: Definition, b: Definition, words: _Words) -> Likeness:
    if dict(a.raw) == dict(b.raw):
        return "identical"
    wa, wb = words.of(a), words.of(b)
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


def _has_additions(base: Definition, copy: Definition, words: _Words) -> bool:
    """``copy`` says everything ``base`` says and more, or says the same and takes extra parameters."""
    wa, wb = words.of(base), words.of(copy)
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
            reference = _Reference.of(tuple(ctx.reference_names))
        else:
            from garrison.scanner.data import reference_server_names

            reference = _Reference.of(tuple(reference_server_names()))
        servers = ctx.servers
        known = {s.name for s in servers if fold(s.name) in reference.known}
        server_blame = self._server_pairs(servers, known)
        overlapping: set[tuple[str, str]] = set()
        yield from self._tool_findings(servers, known, server_blame, overlapping)
        yield from self._server_findings(servers, reference, server_blame, overlapping)

    # Server pairs: which of two look-alike configured servers is the variant.
    @staticmethod
    def _server_pairs(
        servers: Sequence[ServerSnapshot], known: set[str]
    ) -> dict[tuple[str, str], tuple[NameRelation, int | None]]:
        out: dict[tuple[str, str], tuple[NameRelation, int | None]] = {}
        names = [(i, _Name.of(s.name, _SERVER_AFFIXES)) for i, s in enumerate(servers)]
        for i, j in _candidate_pairs(names, min_core=1):
            a, b = servers[i], servers[j]
            rel = _relation(names[i][1], names[j][1], min_core=1)
            if rel is None or rel.kind == "same":
                continue
            a_known, b_known = a.name in known, b.name in known
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
        words = _Words()
        names = [((item.server.name, item.defn.kind), item.name) for item in items]
        for i, j in _candidate_pairs(names):
            a, b = items[i], items[j]
            if a.server.name == b.server.name or a.defn.kind != b.defn.kind:
                continue
            rel = _relation(a.name, b.name)
            if rel is None:
                continue
            for finding in self._pair(a, b, rel, known, server_blame, words):
                original = b.server.name if finding.server == a.server.name else a.server.name
                overlapping.add((finding.server, original))
                yield finding

    @staticmethod
    def _pair(
        a: _Item, b: _Item, rel: NameRelation, known: set[str],
        server_blame: dict[tuple[str, str], tuple[NameRelation, int | None]], words: _Words,
    ) -> Iterator[Finding]:
        likeness = _likeness(a.defn, b.defn, words)
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
        a_known, b_known = a.server.name in known, b.server.name in known
        blame: int | None
        if pair is not None and pair[1] is not None:
            blame = pair[1]
        elif flipped is not None and flipped[1] is not None:
            blame = 1 - flipped[1]
        elif a_known != b_known:
            blame = 1 if a_known else 0
        elif rel.kind in ("variant", "stuffed") and rel.longer is not None:
            blame = rel.longer
        elif _has_additions(a.defn, b.defn, words):
            blame = 1
        elif _has_additions(b.defn, a.defn, words):
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
        servers: Sequence[ServerSnapshot], reference: _Reference,
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
                if fold(own) in reference.known and own.isascii():
                    continue
                match = reference.closest(own)
                if match is None:
                    continue
                yield SQUATS_REFERENCE.finding(
                    server=name, target="server", location="name" if own == name else "serverInfo.name",
                    message=f"server name {own!r} looks like the well-known server {match!r}",
                    evidence=Evidence(own, 0, len(own)),
                    related=(f"{match}/server",),
                )


@dataclass(frozen=True, slots=True)
class _Reference:
    """The well-known server names of a scan, folded, and indexed for :meth:`closest`.

    A name within ``limit`` edits of a reference name contains one of the reference's ``2 * limit + 1``
    segments unchanged (an edit touches at most two of them), shifted by at most ``limit`` letters: only
    reference names sharing such a segment are compared.
    """

    known: frozenset[str]
    ordered: tuple[tuple[str, _Name], ...]
    """``(folded name, parsed name)`` in name order."""
    by_joined: dict[str, tuple[int, ...]]
    segments: dict[int, dict[str, tuple[tuple[int, int, int], ...]]]
    """Segment length → segment → ``(position in ordered, offset, typo limit of that name)``."""

    @staticmethod
    def of(names: tuple[str, ...]) -> _Reference:
        return _reference(names)

    def closest(self, name: str) -> str | None:
        """A well-known name that ``name`` is a typo or look-alike of (not a mere re-spelling: users write
        server keys with their own case and separators)."""
        mine = _Name.of(name, _SERVER_AFFIXES)
        homoglyph = not name.isascii() and mine.folded.isascii()
        joined = mine.joined
        candidates = set(self.by_joined.get(joined, ()))
        if _typo_limit(len(joined)):
            for length, table in self.segments.items():
                for at in range(len(joined) - length + 1):
                    found = table.get(joined[at:at + length])
                    if found:
                        candidates.update(i for i, offset, limit in found if -limit <= at - offset <= limit)
        for i in sorted(candidates):
            ref, other = self.ordered[i]
            if joined == other.joined:
                if homoglyph:
                    return ref
                continue
            limit = _typo_limit(min(len(joined), len(other.joined)))
            if limit and _distance(joined, other.joined, limit) <= limit:
                return ref
        return None


def _segments(word: str, count: int) -> Iterator[tuple[int, str]]:
    bounds = [round(k * len(word) / count) for k in range(count + 1)]
    for lo, hi in pairwise(bounds):
        yield lo, word[lo:hi]


@lru_cache(maxsize=8)
def _reference(names: tuple[str, ...]) -> _Reference:
    known = frozenset(fold(n) for n in names)
    ordered = tuple((ref, _Name.of(ref, _SERVER_AFFIXES)) for ref in sorted(known))
    by_joined: dict[str, list[int]] = defaultdict(list)
    segments: dict[int, dict[str, list[tuple[int, int, int]]]] = defaultdict(lambda: defaultdict(list))
    for i, (_, name) in enumerate(ordered):
        by_joined[name.joined].append(i)
        if limit := _typo_limit(len(name.joined)):
            for offset, segment in _segments(name.joined, 2 * limit + 1):
                segments[len(segment)][segment].append((i, offset, limit))
    return _Reference(
        known, ordered, {k: tuple(v) for k, v in by_joined.items()},
        {n: {k: tuple(v) for k, v in table.items()} for n, table in segments.items()},
    )


CHECK = CollisionsCheck()
