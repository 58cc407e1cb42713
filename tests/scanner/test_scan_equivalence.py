"""The cross-server checks find exactly what a plain pairwise scan finds.

``fixtures/cross_server_findings.json`` holds, for every scan set of ``scan_sets.py`` and each cross-server
check, the count and digest of its findings (``Finding.to_json()`` in report order) as recorded with the
pairwise implementation. Regenerate it only when a check's results are meant to change:

    .venv/bin/python bench/bench_scan.py --digests --checks shadowing,collisions,toxic_flows,launch_config \
        --findings tests/scanner/fixtures/cross_server_findings.json

``fixtures/content_findings.json`` holds the same for the content checks and shadowing (findings sorted by
their canonical JSON), over every scan set and over ``tests/fixtures/heldout/definitions.jsonl`` (scan set
``heldout``: each row scanned as its own server, as ``eval/heldout.py`` does, with every registered check).
Regenerate it only when a check's results are meant to change:

    .venv/bin/python -c "import sys, json; sys.path[:0] = ['tests', 'tests/scanner']; \
        from conftest import CORPORA; from test_scan_equivalence import CONTENT_FIXTURE, content_digests; \
        CONTENT_FIXTURE.write_text(json.dumps(content_digests(CORPORA), indent=1, sort_keys=True) + '\\n')"

The indexes that replace the pairwise loops are also compared with the loops they replace, on the corpora and
on generated look-alike names.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from scan_sets import LAB_SNAPSHOTS, scan_sets

from garrison.analysis.capabilities import name_tokens
from garrison.model import Definition, ServerSnapshot
from garrison.model.hashing import canonical_json, digest
from garrison.scanner.checks import collisions, shadowing
from garrison.scanner.data import reference_server_names
from garrison.scanner.registry import CHECK_MODULES, all_checks
from garrison.scanner.runner import analyse

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "cross_server_findings.json"
CHECKS = ("shadowing", "collisions", "toxic_flows", "launch_config")
CONTENT_FIXTURE = FIXTURE.with_name("content_findings.json")
CONTENT_CHECKS = ("poisoning", "hidden_content", "exfil_params", "shadowing")
HELDOUT = Path(__file__).resolve().parents[1] / "fixtures" / "heldout" / "definitions.jsonl"


def test_findings_match_the_recorded_pairwise_results(corpora: Path) -> None:
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))
    by_name = {c.__class__.__module__.rsplit(".", 1)[-1]: c for c in all_checks()}
    sets = scan_sets(corpora)
    assert sets.keys() == expected.keys()
    differ = []
    for scan, servers in sets.items():
        for name in CHECKS:
            found = [f.to_json() for f in analyse(servers, checks=[by_name[name]])]
            if {"count": len(found), "digest": digest(found)} != expected[scan][name]:
                differ.append(f"{scan}: {name} ({len(found)} findings, {expected[scan][name]['count']} recorded)")
    assert differ == []


def _heldout_server(row: dict[str, Any]) -> ServerSnapshot:
    """The row's server as ``eval/heldout.py`` builds it: the definition, name-only siblings, instructions."""
    kind = row.get("kind", "tool")
    definition = Definition(kind, row["tool"])
    siblings = tuple(Definition("tool", {"name": name, "inputSchema": {"type": "object"}})
                     for name in row.get("siblings", ()))
    return ServerSnapshot(
        row["server"], tools=((definition,) if kind == "tool" else ()) + siblings,
        prompts=(definition,) if kind == "prompt" else (),
        resources=(definition,) if kind == "resource" else (),
        instructions=row.get("instructions"))


def _sorted_digest(found: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(found, key=canonical_json)
    return {"count": len(ordered), "digest": digest(ordered)}


def content_digests(corpora: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Count and digest of every content check's findings per scan set, and of every check on ``heldout``."""
    by_name = {c.__class__.__module__.rsplit(".", 1)[-1]: c for c in all_checks()}
    out = {scan: {name: _sorted_digest([f.to_json() for f in analyse(servers, checks=[by_name[name]])])
                  for name in CONTENT_CHECKS}
           for scan, servers in scan_sets(corpora).items()}
    rows = [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    heldout = [_heldout_server(row) for row in rows]
    out["heldout"] = {
        name: _sorted_digest([f.to_json() for s in heldout for f in analyse([s], checks=[by_name[name]])])
        for name in CHECK_MODULES
    }
    return out


def test_content_findings_match_the_recorded_results(corpora: Path) -> None:
    expected = json.loads(CONTENT_FIXTURE.read_text(encoding="utf-8"))
    found = content_digests(corpora)
    assert found.keys() == expected.keys()
    differ = [f"{scan}: {name} ({got['count']} findings, {expected[scan][name]['count']} recorded)"
              for scan, checks in found.items() for name, got in checks.items() if got != expected[scan][name]]
    assert differ == []
    assert sum(found[scan]["poisoning"]["count"] for scan in found) > 100


def test_scan_sets_cover_every_kind_of_scan(corpora: Path) -> None:
    sets = scan_sets(corpora)
    assert LAB_SNAPSHOTS.is_file()
    assert len(sets["registry"]) == 28
    assert sum(1 for k in sets if k.startswith("registry/")) == 28
    assert sum(1 for k in sets if k.startswith("msb/")) >= 10
    assert sum(len(s.definitions) for s in sets["corpora"]) == 926
    assert {"lab", "lab/cross-server-shadowing/attack", "lab/name-squatting/attack"} <= sets.keys()


# --- the indexes against the loops they replace ---

_WORDS = (
    "search query send email file read write list github slack postgres documentation repository information "
    "create update delete user calendar report daily analysis memory weather filesystem get set"
).split()
_DECORATION = ("the", "new", "v2", "pro", "official", "mcp", "server")


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 2:
        return word
    i = rng.randrange(len(word) - 1)
    return rng.choice((
        word[:i] + rng.choice("aexz") + word[i + 1:],
        word[:i] + word[i + 1:],
        word[:i] + rng.choice("aexz") + word[i:],
        word[:i] + word[i + 1] + word[i] + word[i + 2:],
    ))


def _generated_name(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.choice((1, 1, 2, 2, 3, 4)))]
    for _ in range(rng.choice((0, 0, 1, 2))):
        k = rng.randrange(len(words))
        words[k] = _typo(words[k], rng)
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words) + 1), rng.choice(_DECORATION))
    if rng.random() < 0.2:
        rng.shuffle(words)
    sep = rng.choice(("_", "-", ""))
    return sep.join(words) if sep else words[0] + "".join(w.capitalize() for w in words[1:])


def _assert_candidates_cover_relations(raw: list[tuple[str, str]], servers: bool) -> int:
    affixes, min_core = (collisions._SERVER_AFFIXES, 1) if servers else (collisions._AFFIXES, 2)
    names = [(group, collisions._Name.of(name, affixes)) for group, name in raw]
    candidates = set(collisions._candidate_pairs(names, min_core))
    related = {
        (i, j)
        for i, j in itertools.combinations(range(len(names)), 2)
        if names[i][0] != names[j][0] and collisions._relation(names[i][1], names[j][1], min_core) is not None
    }
    assert related - candidates == set()
    return len(related)


def test_candidate_pairs_cover_every_related_pair_of_the_corpora(corpora: Path) -> None:
    servers = scan_sets(corpora)["corpora"]
    raw = [(f"{s.name}/{d.kind}", d.name) for s in servers for d in s.tools + s.prompts]
    assert _assert_candidates_cover_relations(raw, servers=False) > 50
    assert _assert_candidates_cover_relations([(s.name, s.name) for s in servers], servers=True) >= 0


@pytest.mark.parametrize("seed", range(6))
def test_candidate_pairs_cover_every_related_pair_of_generated_names(seed: int) -> None:
    rng = random.Random(seed)
    raw = [(str(rng.randrange(6)), _generated_name(rng)) for _ in range(150)]
    assert _assert_candidates_cover_relations(raw, servers=False) > 0
    assert _assert_candidates_cover_relations(raw, servers=True) > 0


def test_large_buckets_are_split_by_spelling_without_losing_typos() -> None:
    rng = random.Random(1)
    stems = ["documentation", "repository", "weather", "calendar", "information"]
    raw = [(str(i), f"get_{_typo(rng.choice(stems), rng)}") for i in range(3 * collisions.LARGE_BUCKET)]
    assert _assert_candidates_cover_relations(raw, servers=False) > 0


def _closest_pairwise(name: str, known: set[str]) -> str | None:
    mine = collisions._Name.of(name, collisions._SERVER_AFFIXES)
    homoglyph = not name.isascii() and mine.folded.isascii()
    for ref in sorted(known):
        other = collisions._Name.of(ref, collisions._SERVER_AFFIXES)
        if mine.joined == other.joined:
            if homoglyph:
                return ref
            continue
        limit = collisions._typo_limit(min(len(mine.joined), len(other.joined)))
        if limit and collisions._distance(mine.joined, other.joined, limit) <= limit:
            return ref
    return None


def test_reference_index_finds_what_a_scan_of_every_reference_name_finds() -> None:
    names = tuple(reference_server_names())
    reference = collisions._Reference.of(names)
    rng = random.Random(3)
    matched = 0
    for _ in range(600):
        name = rng.choice(sorted(reference.known))
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            name = _typo(name, rng)
        if rng.random() < 0.1:
            name = name.replace("o", "\u043e")  # Cyrillic o
        if rng.random() < 0.2:
            name = name.replace("-", "_").upper()
        expected = _closest_pairwise(name, set(reference.known))
        assert reference.closest(name) == expected, name
        matched += expected is not None
    assert matched > 100


def _mentions_pairwise(text: str, index: shadowing._Index) -> list[tuple[int, int, frozenset[Any], frozenset[str]]]:
    """Every identifier of ``text`` tried against the index in turn, nothing cached or skipped."""
    out = []
    for m in shadowing._IDENT.finditer(text[:shadowing.MAX_TEXT_CHARS]):
        word = m.group(0)
        pieces = [p for p in re.split(r"[./]|__", word) if p]
        tokens = name_tokens(word)
        candidates = [((), tokens)]
        if len(pieces) > 1:
            candidates.append((name_tokens(".".join(pieces[:-1])), name_tokens(pieces[-1])))
        candidates.extend((tokens[:n], tokens[n:]) for n in range(1, len(tokens)) if tokens[:n] in index.servers)
        for prefix, key in candidates:
            owners = index.tools.get(key)
            if not owners:
                continue
            if prefix:
                named = {s for p in (prefix, prefix[1:] if prefix[:1] == ("mcp",) else prefix)
                         for s in index.servers.get(p, ())}
                owners = frozenset(o for o in owners if o.server in named) or owners
            elif len(key) == 1 and not shadowing._marked_as_tool(text, m.start(), m.end()):
                continue
            out.append((m.start(), m.end(), owners, frozenset()))
            break
        else:
            servers = index.servers.get(tokens)
            if servers and shadowing._marked_as_server(text, m.start(), m.end(), tokens):
                out.append((m.start(), m.end(), frozenset(), servers))
    return out


def test_mentions_match_a_plain_pass_over_every_identifier(corpora: Path) -> None:
    servers = scan_sets(corpora)["corpora"]
    index = shadowing._build_index(servers)
    texts = [site.text for s in servers for site in shadowing._sites(s)] + [
        "Always call `github.send_email` or mcp__slack__postMessage before getUserInfo; the ddg-search server.",
    ]
    mentioned = 0
    for text in texts:
        found = [(m.start, m.end, m.owners, m.server_names) for m in shadowing._mentions(text, index)]
        assert found == _mentions_pairwise(text, index), text
        mentioned += bool(found)
    assert mentioned > 10
