"""The guard's verdicts, findings and redactions stay exactly what they were when recorded.

``fixtures/guard_equivalence.json`` holds, for each text set, the count and digest of ``judge`` results (the
verdict, every ``Finding.to_json()`` and the redacted text) in both directions, as recorded before the secret
scan and output scoring were sped up. Regenerate it only when a verdict is meant to change:

    .venv/bin/python tests/analysis/test_guard_equivalence.py --write
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

from garrison.analysis import guard, secrets
from garrison.analysis.guard import Direction, judge
from garrison.model.hashing import digest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "guard_equivalence.json"
CORPORA = ROOT.parent / "shared" / "corpora"
OUTPUT_SETS = ("agentdojo", "bipia", "mcp-guardbench", "mcp-guardbench.arguments")
DIRECTIONS: tuple[Direction, ...] = ("output", "arguments")
SYNTHETIC_TEXTS = 400


def _jsonl(path: Path) -> list[tuple[str, str]]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return [(str(r["id"]), str(r["text"])) for r in rows]


def _synthetic() -> list[tuple[str, str]]:
    spec = importlib.util.spec_from_file_location("bench_guard", ROOT / "bench" / "bench_guard.py")
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rng = random.Random(20240517)
    return [(f"bench/{i}", bench.make_text(rng, 1024, i)) for i in range(SYNTHETIC_TEXTS)]


def text_sets(corpora: Path) -> dict[str, list[tuple[str, str]]]:
    sets = {name: _jsonl(corpora / "outputs" / f"{name}.jsonl") for name in OUTPUT_SETS}
    sets["gitleaks_examples"] = _jsonl(corpora / "secrets" / "gitleaks_examples.jsonl")
    sets["bench"] = _synthetic()
    return sets


def _result(text: str, direction: Direction) -> list[Any]:
    v = judge(text, direction=direction, tool="t")
    return [v.verdict, [f.to_json() for f in v.findings], v.redacted]


def digests(corpora: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, rows in text_sets(corpora).items():
        for direction in DIRECTIONS:
            results = [[rid, *_result(text, direction)] for rid, text in rows]
            flagged = sum(r[1] != "allow" for r in results)
            out[f"{name}/{direction}"] = {"count": len(results), "flagged": flagged, "digest": digest(results)}
    return out


def test_judge_results_match_the_recorded_results(corpora: Path) -> None:
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))
    found = digests(corpora)
    assert found.keys() == expected.keys()
    differ = {k: (found[k], expected[k]) for k in expected if found[k] != expected[k]}
    assert differ == {}


def test_fixture_covers_secrets_and_injections() -> None:
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert expected["gitleaks_examples/output"]["flagged"] > 100
    assert expected["agentdojo/output"]["flagged"] > 100
    assert all(v["count"] > 0 for v in expected.values())


def test_one_pass_keyword_prefilter_selects_what_per_pattern_keyword_checks_select() -> None:
    # The shipped set is prefiltered in one pass over all keywords; a pattern list given by the caller has each
    # pattern's keywords checked in turn. Both must find the same secrets, including keywords inside keywords.
    rng = random.Random(7)
    texts = [t for _, t in _synthetic()[:60]] + [
        "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8Hk2Lm9p\nAKIAZ4XQ7PL2MN3B5KJD",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlXzEyMzQ1Njc4",
        "curl -u admin:Pz8rT2qLx9 https://api.example.com; password = 'R3alSecr3tValue9'",
        "x-auth-token: Zk3mQ9pL2xR7vT4n\nsk-ant-api-key-Mx8Qz2Lp9Rt4Vn7K",
    ]
    texts += ["".join(rng.choice("aAkK1ghp_- :=\n") for _ in range(400)) for _ in range(40)]
    for text in texts:
        fast = secrets.find_secrets(text).matches
        slow = secrets.find_secrets(text, patterns=list(secrets.load_patterns())).matches
        assert [(m.rule, m.start, m.end, m.value) for m in fast] == [
            (m.rule, m.start, m.end, m.value) for m in slow
        ], text


_HIDDEN_ALTERNATION = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|<!--|%[0-9A-Fa-f]{2}|\\[ux]|&#|[A-Za-z0-9+/_=-]{16}|[ \t]{40}|(?:[ \t]*\n){8}"
)


def test_nothing_hidden_equals_one_search_for_everything_reveal_handles() -> None:
    rng = random.Random(11)
    alphabet = ["a", "B", "7", " ", "  ", "\t", "\n", " \n", "%4", "%zz", "\\u", "\\q", "&#", "&", "<!--", "\x01",
                "é", "+/=", "abcdefgh", "\n" * 4, " " * 20, "\r\n"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(3000)]
    texts += [t for _, t in _synthetic()[:40]]
    for text in texts:
        expected = text.isascii() and _HIDDEN_ALTERNATION.search(text) is None
        assert guard._nothing_hidden(text) == expected, repr(text)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: test_guard_equivalence.py --write")
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps(digests(CORPORA), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE}", file=sys.stderr)
