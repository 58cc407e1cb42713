"""Train the tool-output injection model shipped as ``garrison/analysis/models/guard_outputs.json``.

Development split only (``split == "dev"``) of ``<repo>/../shared/corpora/outputs/*.jsonl``. Segment labels
come from the data itself: a segment of a malicious row that never occurs in a benign row of the same source is
an injected segment; every segment of a benign row is a clean one. A sparse logistic model over the hashed
features of :mod:`garrison.analysis.outputs` is fitted with AdaGrad (pure Python, deterministic). Thresholds
are chosen on out-of-fold scores (four folds by group) so that the flag threshold keeps the development
false-positive rate at or below ``--target-fpr``; then the model is refitted on the whole development split.

    python eval/train_guard.py [--corpora DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

from garrison.analysis.outputs import CUES, DIRECTIVE_CUES, HASH_BITS, MODEL_FILE, _bucket, segment_features

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
DEFAULT_OUT = REPO / "src" / "garrison" / "analysis" / "models" / MODEL_FILE
SOURCES = ("agentdojo.jsonl", "bipia.jsonl", "mcp-guardbench.jsonl")
VERSION = "1"
MIN_POSITIVE_WORDS = 4
"""Shorter unmatched pieces of a malicious row (a signature, a closing tag) are not used as positives."""

Example = tuple[list[int], int, float]  # hashed features, label, weight


def load_rows(corpora: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name in SOURCES:
        path = corpora / "outputs" / name
        with path.open(encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return [r for r in rows if r["split"] == "dev" and r["text"]]


def load_documentation(corpora: Path) -> list[dict[str, Any]]:
    """Benign documentation-style text (tool descriptions from the public registry corpus): imperative,
    second-person prose that is not an attack. Half of it (by a stable hash) is used as extra clean rows; the
    other half is kept out for the held-out false-positive check in ``eval/outputs.py``."""
    path = corpora / "tools" / "docker-mcp-registry.jsonl"
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            text = r.get("description") or ""
            if text and doc_half(r["id"]) == "train":
                rows.append({"id": r["id"], "source": "documentation", "text": text, "label": "benign",
                             "attack": None, "group": f"doc/{r['id']}", "split": "dev"})
    return rows


def doc_half(row_id: str) -> str:
    return "train" if int(hashlib.sha256(row_id.encode()).hexdigest()[:8], 16) % 2 == 0 else "heldout"


def _key(text: str) -> str:
    return " ".join(text.split()).strip(" '\"|-").lower()


def build_examples(rows: list[dict[str, Any]]) -> dict[str, list[Example]]:
    """Examples per fold key."""
    benign_keys: dict[str, set[str]] = {}
    for r in rows:
        if r["label"] == "benign":
            keys = benign_keys.setdefault(r["source"], set())
            keys.update(_key(seg.text) for seg, _, _ in segment_features(r["text"]))
    by_group: dict[str, list[Example]] = {}
    for r in rows:
        out = by_group.setdefault(fold_key(r), [])
        known = benign_keys.get(r["source"], set())
        for seg, _cues, feats in segment_features(r["text"]):
            hashed = [_bucket(f) for f in feats]
            if r["label"] == "benign":
                out.append((hashed, 0, 1.0))
            elif _key(seg.text) not in known and len(_key(seg.text).split()) >= MIN_POSITIVE_WORDS:
                out.append((hashed, 1, 1.0))
    return by_group


def cue_buckets() -> set[int]:
    names = [c.name for c in CUES]
    out = {_bucket(p + c) for p in ("C:", "P:", "N:", "E:first:", "E:last:") for c in names}
    out |= {_bucket(f"CC:{a}|{b}") for i, a in enumerate(names) for b in names[i + 1 :]}
    return out


def fit(examples: list[Example], *, epochs: int, l2_words: float, l2_cues: float, lr: float,
        seed: int) -> tuple[float, dict[int, float]]:
    """AdaGrad logistic regression with per-feature L2 (cue features are regularised less)."""
    cues = cue_buckets()
    pos = sum(1 for _, y, _ in examples if y)
    neg = len(examples) - pos
    pos_w = neg / max(pos, 1) * 0.5
    w: dict[int, float] = {}
    g2: dict[int, float] = {}
    bias = 0.0
    gb = 1e-8
    order = list(range(len(examples)))
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            feats, y, weight = examples[i]
            z = bias + sum(w.get(f, 0.0) for f in feats)
            p = 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
            scale = weight * (pos_w if y else 1.0)
            g = (p - y) * scale
            gb += g * g
            bias -= lr * g / math.sqrt(gb)
            for f in set(feats):
                reg = l2_cues if f in cues else l2_words
                wf = w.get(f, 0.0)
                gf = g + reg * wf
                acc = g2.get(f, 1e-8) + gf * gf
                g2[f] = acc
                w[f] = wf - lr * gf / math.sqrt(acc)
    return bias, {f: v for f, v in w.items() if abs(v) >= 1e-3}


def doc_score(bias: float, w: dict[int, float], text: str) -> float:
    """The strongest directive segment, as the guard scores it."""
    scored = segment_features(text)
    directive = [not DIRECTIVE_CUES.isdisjoint(own) for _, own, _ in scored]
    best = -30.0
    for i, (_seg, _own, feats) in enumerate(scored):
        if any(directive[max(i - 1, 0) : i + 2]):
            best = max(best, bias + sum(w.get(_bucket(f), 0.0) for f in feats))
    return 1.0 / (1.0 + math.exp(-best))


def fold_key(row: dict[str, Any]) -> str:
    """Folds hold out whole attack classes (malicious rows) and whole groups (benign rows), so out-of-fold
    scores estimate how the model does on attack styles it has not seen."""
    return f"attack:{row['attack']}" if row["label"] == "malicious" else f"group:{row['group'] or row['id']}"


def fold_of(group: str, k: int) -> int:
    return int(hashlib.sha256(group.encode()).hexdigest()[:8], 16) % k


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--l2-words", type=float, default=3e-3)
    ap.add_argument("--l2-cues", type=float, default=1e-4)
    ap.add_argument("--lr", type=float, default=0.3)
    ap.add_argument("--target-fpr", type=float, default=0.005)
    ap.add_argument("--folds", type=int, default=4)
    args = ap.parse_args(argv)
    if not (args.corpora / "outputs").is_dir():
        print(f"corpora not found at {args.corpora}", file=sys.stderr)
        return 2
    rows = load_rows(args.corpora) + load_documentation(args.corpora)
    by_group = build_examples(rows)
    hyper = {"epochs": args.epochs, "l2_words": args.l2_words, "l2_cues": args.l2_cues, "lr": args.lr, "seed": 7}

    oof: list[tuple[float, int]] = []
    oof_source: list[str] = []
    for k in range(args.folds):
        train = [e for g, ex in by_group.items() if fold_of(g, args.folds) != k for e in ex]
        bias, w = fit(train, **hyper)
        for r in rows:
            if fold_of(fold_key(r), args.folds) == k:
                oof.append((doc_score(bias, w, r["text"]), 1 if r["label"] == "malicious" else 0))
                oof_source.append(r["source"])
    neg_scores = sorted((s for s, y in oof if not y), reverse=True)
    allowed = int(args.target_fpr * len(neg_scores))
    flag = max(0.5, neg_scores[allowed] + 1e-6 if allowed < len(neg_scores) else 0.5)
    block = max(flag, 0.9, neg_scores[0] + 1e-6 if neg_scores else 0.9)
    tp = sum(1 for s, y in oof if y and s >= flag)
    fp = sum(1 for s, y in oof if not y and s >= flag)
    n_pos = sum(y for _, y in oof)
    print(f"out-of-fold (dev): recall {tp / n_pos:.3f}  fpr {fp / len(neg_scores):.4f}  "
          f"flag>={flag:.3f} block>={block:.3f}", file=sys.stderr)

    for source in sorted(set(oof_source)):
        pairs = [p for p, s in zip(oof, oof_source, strict=True) if s == source]
        pos = [sc for sc, y in pairs if y]
        neg = [sc for sc, y in pairs if not y]
        print(f"  {source}: recall {sum(sc >= flag for sc in pos) / max(len(pos), 1):.3f}  "
              f"fpr {sum(sc >= flag for sc in neg) / max(len(neg), 1):.4f}", file=sys.stderr)
    bias, w = fit([e for ex in by_group.values() for e in ex], **hyper)
    items = sorted(w.items())
    model = {
        "version": VERSION,
        "hash_bits": HASH_BITS,
        "bias": round(bias, 6),
        "flag": round(flag, 6),
        "block": round(block, 6),
        "indices": [i for i, _ in items],
        "values": [round(v, 5) for _, v in items],
    }
    args.out.write_text(json.dumps(model, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(items)} weights)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
