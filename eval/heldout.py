"""Detection quality on the held-out definitions written to look like real documentation.

Data: ``tests/fixtures/heldout/definitions.jsonl``. Each row is one definition (``kind`` tool, prompt or
resource, default tool) of a server, with optional ``siblings`` (names of the server's other tools) and
``instructions`` (the server's instructions). Each row is scanned as its own server with every registered
check, through :func:`garrison.scanner.runner.analyse`; it counts as flagged when a finding of severity
medium or higher targets the definition or the server (:func:`garrison.scanner.runner.flagged_definitions`).

The ``split`` field is fixed in the file: ``sha256(id)[:8]`` even is ``dev``, odd is ``test``. Tune on dev,
report on test.

Usage: ``python eval/heldout.py [--split dev|test|all] [--misses]``
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from garrison.model import Definition, ServerSnapshot, Severity
from garrison.scanner.runner import analyse, flagged_definitions

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "fixtures" / "heldout" / "definitions.jsonl"
Row = dict[str, Any]


def load(path: Path = DATA) -> list[Row]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def snapshot(row: Row) -> tuple[ServerSnapshot, str]:
    """The row's server (its definition, name-only siblings, instructions) and the definition's ref."""
    kind = row.get("kind", "tool")
    definition = Definition(kind, row["tool"])
    siblings = tuple(Definition("tool", {"name": name, "inputSchema": {"type": "object"}})
                     for name in row.get("siblings", ()))
    tools = ((definition,) if kind == "tool" else ()) + siblings
    server = ServerSnapshot(
        row["server"], tools=tools,
        prompts=(definition,) if kind == "prompt" else (),
        resources=(definition,) if kind == "resource" else (),
        instructions=row.get("instructions"))
    return server, definition.ref


def judge(rows: Iterable[Row]) -> list[tuple[Row, bool]]:
    """``(row, flagged)`` for every row."""
    out = []
    for row in rows:
        server, ref = snapshot(row)
        hits = flagged_definitions(analyse([server]), [server], threshold=Severity.MEDIUM)
        out.append((row, (server.name, ref) in hits))
    return out


def rates(results: Iterable[tuple[Row, bool]]) -> dict[str, float]:
    tp = fn = fp = tn = 0
    for row, hit in results:
        if row["label"] == "malicious":
            tp, fn = tp + hit, fn + (not hit)
        else:
            fp, tn = fp + hit, tn + (not hit)
    return {"mal": tp + fn, "ben": fp + tn, "tp": tp, "fp": fp,
            "recall": tp / (tp + fn) if tp + fn else float("nan"),
            "fpr": fp / (fp + tn) if fp + tn else float("nan")}


def _fmt(value: float) -> str:
    return "–" if value != value else f"{value:.3f}"


def table(results: list[tuple[Row, bool]], split: str) -> None:
    chosen = [(r, h) for r, h in results if split == "all" or r["split"] == split]
    groups: dict[str, list[tuple[Row, bool]]] = defaultdict(list)
    for row, hit in chosen:
        groups[row["attack"] or "benign"].append((row, hit))
    print(f"\n### held-out definitions, split {split}\n")
    print("| class | malicious | benign | TP | FP | recall | FPR |")
    print("|---|---|---|---|---|---|---|")
    for key in sorted(groups, key=lambda k: (k == "benign", k)):
        m = rates(groups[key])
        print(f"| {key} | {m['mal']} | {m['ben']} | {m['tp']} | {m['fp']} | {_fmt(m['recall'])} | "
              f"{_fmt(m['fpr'])} |")
    m = rates(chosen)
    print(f"| **overall** | {m['mal']} | {m['ben']} | {m['tp']} | {m['fp']} | {_fmt(m['recall'])} | "
          f"{_fmt(m['fpr'])} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--split", choices=("dev", "test", "all"), default=None)
    parser.add_argument("--misses", action="store_true", help="list every miss and false positive")
    args = parser.parse_args(argv)
    results = judge(load(args.data))
    for split in (args.split,) if args.split else ("dev", "test", "all"):
        table(results, split)
        if args.misses:
            for row, hit in results:
                if (split == "all" or row["split"] == split) and hit != (row["label"] == "malicious"):
                    what = "missed" if row["label"] == "malicious" else "false positive"
                    print(f"- {what}: {row['id']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
