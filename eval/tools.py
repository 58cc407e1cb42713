"""Detection quality of every registered check on the tool-definition corpora.

Data: ``<repo>/../shared/corpora/tools`` (``--corpora`` to override). Rows are grouped into snapshot files the
way a scan sees servers: one server per ``server`` value and one scan per server, except MSB (each attack
variant's server beside its original, as in ``snapshots/msb``) and MCPSecBench (its servers side by side in
one scan, as the benchmark installs them). Snapshots are written to a temporary directory, read back with the
public snapshot parser and scanned with :func:`garrison.scanner.runner.analyse` (every registered check).

A row counts as flagged when a finding of severity >= medium targets its ``<kind>:<name>`` on its server, or
targets that server itself (:func:`garrison.scanner.runner.flagged_definitions`: a squatting server's every
tool is untrusted); for benign MSB originals: in any of the snapshots they appear in.
Split: sha256(group or id)[:8] mod 100 < 70 is dev, the rest test. Prints markdown tables per corpus and
attack class, for ``test`` and ``all``, plus the MSB snapshot pairs scored with their ``*.labels.json``.

Usage: ``python eval/tools.py [--corpora DIR] [--split test|dev|all]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from garrison.model import Severity, snapshots_from_json
from garrison.scanner.runner import analyse, flagged_definitions

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
FILES = ("msb", "mcp-guardbench", "mcpsecbench", "docker-mcp-registry")


def split_of(row: dict[str, Any]) -> str:
    key = row.get("group") or row["id"]
    return "dev" if int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 100 < 70 else "test"


def definition(row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(list key, MCP object)`` for one corpus row."""
    body: dict[str, Any] = {"name": row["name"]}
    if row.get("description"):
        body["description"] = row["description"]
    schema = row.get("inputSchema")
    if row["kind"] == "prompt":
        props = (schema or {}).get("properties") or {}
        required = set((schema or {}).get("required") or ())
        body["arguments"] = [
            {"name": k, "required": k in required}
            | ({"description": v["description"]} if isinstance(v, dict) and "description" in v else {})
            for k, v in props.items()
        ]
        return "prompts", body
    if row["kind"] == "resource":
        body["uri"] = row.get("uri") or f"resource://{row['name']}"
        return "resources", body
    body["inputSchema"] = schema if isinstance(schema, dict) else {"type": "object"}
    return "tools", body


def ref(row: dict[str, Any]) -> str:
    key = row.get("uri") or f"resource://{row['name']}" if row["kind"] == "resource" else row["name"]
    return f"{row['kind']}:{key}"


def scans(name: str, rows: list[dict[str, Any]]) -> list[list[tuple[str, list[dict[str, Any]]]]]:
    """Snapshots (lists of ``(server, rows)``) to scan for one corpus."""
    by_server: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_server[row["server"]].append(row)
    if name == "mcpsecbench":
        # MCPSecBench installs its servers side by side in one client: squatting and shadowing are relative.
        return [list(by_server.items())]
    if name != "msb":
        return [[(server, items)] for server, items in by_server.items()]
    out = []
    for server, items in by_server.items():
        if server.startswith("attack-"):
            continue
        attack = by_server.get(f"attack-{server}", [])
        variants = sorted({r["id"].split("/")[2] for r in attack})
        if not variants:
            out.append([(server, items)])
        for variant in variants:
            chosen = [r for r in attack if r["id"].split("/")[2] == variant]
            out.append([(server, items), (f"attack-{server}", chosen)])
    return out


def flagged_refs(snapshot: list[tuple[str, list[dict[str, Any]]]], tmp: Path) -> set[tuple[str, str]]:
    doc: dict[str, Any] = {"servers": {}}
    for server, items in snapshot:
        body: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in items:
            key, obj = definition(row)
            body[key].append(obj)
        doc["servers"][server] = dict(body)
    path = tmp / "snapshot.json"
    path.write_text(json.dumps(doc))
    servers = snapshots_from_json(json.loads(path.read_text()), where=str(path))
    return flagged_definitions(analyse(servers), servers, threshold=Severity.MEDIUM)


def metrics(rows: Iterable[tuple[dict[str, Any], bool]]) -> dict[str, float]:
    tp = fp = fn = tn = 0
    for row, hit in rows:
        if row["label"] == "malicious":
            tp, fn = tp + hit, fn + (not hit)
        else:
            fp, tn = fp + hit, tn + (not hit)
    recall = tp / (tp + fn) if tp + fn else float("nan")
    fpr = fp / (fp + tn) if fp + tn else float("nan")
    precision = tp / (tp + fp) if tp + fp else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {"mal": tp + fn, "ben": fp + tn, "tp": tp, "fp": fp, "recall": recall, "fpr": fpr,
            "precision": precision, "f1": f1}


def fmt(value: float) -> str:
    return "–" if value != value else f"{value:.3f}"


def table(title: str, groups: dict[str, list[tuple[dict[str, Any], bool]]]) -> None:
    print(f"\n### {title}\n")
    print("| corpus / class | malicious | benign | TP | FP | recall | FPR | precision | F1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key, rows in groups.items():
        m = metrics(rows)
        print(f"| {key} | {m['mal']} | {m['ben']} | {m['tp']} | {m['fp']} | {fmt(m['recall'])} | "
              f"{fmt(m['fpr'])} | {fmt(m['precision'])} | {fmt(m['f1'])} |")


def msb_pairs(corpora: Path) -> None:
    tp = fp = fn = tn = 0
    for labels_path in sorted((corpora / "tools" / "snapshots" / "msb").glob("*.labels.json")):
        labels = json.loads(labels_path.read_text())
        snap_path = labels_path.with_name(labels_path.name.replace(".labels.json", ".json"))
        servers = snapshots_from_json(json.loads(snap_path.read_text()), where=str(snap_path))
        hits = flagged_definitions(analyse(servers), servers, threshold=Severity.MEDIUM)
        for item in labels["malicious"]:
            hit = (item["server"], f"{item['kind']}:{item['tool']}") in hits
            tp, fn = tp + hit, fn + (not hit)
        for item in labels["benign"]:
            hit = (item["server"], f"{item['kind']}:{item['tool']}") in hits
            fp, tn = fp + hit, tn + (not hit)
    recall = tp / max(1, tp + fn)
    fpr = fp / max(1, fp + tn)
    print(f"\nMSB snapshot pairs (labels.json): malicious {tp + fn}, benign {fp + tn}, "
          f"recall {recall:.3f}, FPR {fpr:.3f}, TP {tp}, FP {fp}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--split", choices=("test", "dev", "all"), nargs="*", default=["test", "all"])
    parser.add_argument("--misses", action="store_true", help="list missed malicious and flagged benign rows")
    args = parser.parse_args(argv)
    if not (args.corpora / "tools").is_dir():
        print(f"corpora not found at {args.corpora}", file=sys.stderr)
        return 2
    results: list[tuple[str, dict[str, Any], bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in FILES:
            text = (args.corpora / "tools" / f"{name}.jsonl").read_text(encoding="utf-8")
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
            hit_ids: set[str] = set()
            for snapshot in scans(name, rows):
                hits = flagged_refs(snapshot, Path(tmp))
                hit_ids.update(
                    r["id"] for server, items in snapshot for r in items if (server, ref(r)) in hits)
            results.extend((name, row, row["id"] in hit_ids) for row in rows)
    for split in args.split:
        chosen = [(c, r, h) for c, r, h in results if split == "all" or split_of(r) == split]
        by_corpus: dict[str, list[tuple[dict[str, Any], bool]]] = defaultdict(list)
        by_class: dict[str, list[tuple[dict[str, Any], bool]]] = defaultdict(list)
        for corpus, row, hit in chosen:
            by_corpus[corpus].append((row, hit))
            by_class[f"{corpus}: {row['attack'] or 'benign'}"].append((row, hit))
        by_corpus["**overall**"] = [(row, hit) for _, row, hit in chosen]
        table(f"Tool definitions, split {split}: per corpus", dict(by_corpus))
        table(f"Tool definitions, split {split}: per attack class", dict(sorted(by_class.items())))
    msb_pairs(args.corpora)
    if args.misses:
        for _, row, hit in results:
            if (row["label"] == "malicious") != hit:
                print(f"{'MISS' if not hit else 'FP  '} {row['id']} [{row['attack']}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
