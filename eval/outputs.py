"""Detection quality of the runtime guard on ``<repo>/../shared/corpora/outputs``.

Runs :func:`garrison.analysis.guard.judge` over every row (tool outputs, and call arguments from
``*.arguments.jsonl``) and prints Markdown tables of recall, false-positive rate, precision and F1 per corpus
and recall per attack class, for the TEST split (and the dev split, labelled as such). A row counts as
positive when the verdict is ``flag`` or ``block``.

    python eval/outputs.py [--corpora DIR] [--split test|dev|both] [--errors]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from garrison.analysis.guard import judge

sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"


class Counts:
    def __init__(self) -> None:
        self.tp = self.fp = self.tn = self.fn = 0

    def add(self, malicious: bool, positive: bool) -> None:
        if malicious:
            self.tp += positive
            self.fn += not positive
        else:
            self.fp += positive
            self.tn += not positive

    def row(self) -> str:
        pos, neg = self.tp + self.fn, self.fp + self.tn
        recall = self.tp / pos if pos else float("nan")
        fpr = self.fp / neg if neg else float("nan")
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")
        f1 = 2 * precision * recall / (precision + recall) if pos and self.tp else 0.0
        return f"| {pos} | {neg} | {recall:.3f} | {fpr:.3f} | {precision:.3f} | {f1:.3f} |"


def load(corpora: Path) -> list[dict[str, Any]]:
    rows = []
    for path in sorted((corpora / "outputs").glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    row["_file"] = path.name
                    rows.append(row)
    return rows


def evaluate(rows: list[dict[str, Any]], split: str, show_errors: bool) -> str:
    per_corpus: dict[str, Counts] = defaultdict(Counts)
    per_attack: dict[str, Counts] = defaultdict(Counts)
    overall = Counts()
    for r in rows:
        if r["split"] != split:
            continue
        arguments = r["_file"].endswith(".arguments.jsonl")
        verdict = judge(r["text"], direction="arguments" if arguments else "output", tool=r.get("tool"),
                        arguments=r.get("arguments") if arguments else None)
        positive = verdict.verdict != "allow"
        malicious = r["label"] == "malicious"
        per_corpus[r["_file"]].add(malicious, positive)
        if not arguments:
            overall.add(malicious, positive)
        if malicious:
            per_attack[f"{r['source']}: {r['attack']}"].add(True, positive)
        if show_errors and positive != malicious:
            kind = "FN" if malicious else "FP"
            rules = ",".join(f.rule for f in verdict.findings)
            print(f"{kind} {r['id']} [{rules}] {r['text'][:160]!r}", file=sys.stderr)
    head = "| corpus | malicious | benign | recall | FPR | precision | F1 |\n|---|---|---|---|---|---|---|"
    lines = [f"### {split} split", "", head]
    lines += [f"| {name} {c.row()}" for name, c in sorted(per_corpus.items())]
    lines.append(f"| **all tool outputs** {overall.row()}")
    lines += ["", "| attack class | rows | recall |", "|---|---|---|"]
    for name, c in sorted(per_attack.items()):
        lines.append(f"| {name} | {c.tp + c.fn} | {c.tp / (c.tp + c.fn):.3f} |")
    return "\n".join(lines) + "\n"


def documentation_check(corpora: Path) -> str:
    """False positives on benign documentation prose: the held-out half of the registry tool descriptions
    (the other half is training data; see ``eval/train_guard.py``)."""
    from train_guard import doc_half

    c = Counts()
    with (corpora / "tools" / "docker-mcp-registry.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            text = r.get("description") or ""
            if text and doc_half(r["id"]) == "heldout":
                c.add(False, judge(text, direction="output").verdict != "allow")
    neg = c.fp + c.tn
    return (f"Documentation hard negatives (held-out registry tool descriptions judged as tool output): "
            f"{c.fp}/{neg} flagged, FPR {c.fp / neg:.3f}\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--split", choices=("test", "dev", "both"), default="both")
    ap.add_argument("--errors", action="store_true", help="list misclassified rows on stderr")
    args = ap.parse_args(argv)
    if not (args.corpora / "outputs").is_dir():
        print(f"corpora not found at {args.corpora}", file=sys.stderr)
        return 2
    rows = load(args.corpora)
    splits = ("test", "dev") if args.split == "both" else (args.split,)
    for split in splits:
        print(evaluate(rows, split, args.errors))
    print(documentation_check(args.corpora))
    return 0


if __name__ == "__main__":
    sys.exit(main())
