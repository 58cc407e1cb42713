"""Static definition analysis speed: definitions per second over the tool corpora, on one core.

Every row of ``<repo>/../shared/corpora/tools/*.jsonl`` becomes a definition; rows are grouped into servers
as a scan sees them, and :func:`garrison.scanner.runner.analyse` runs (a) the content checks (poisoning,
hidden content, exfiltration parameters) and (b) every registered check. Caches are cleared before each
round, so each round is a cold scan. Prints the best of ``--rounds`` rounds, timed in CPU seconds of this
process (one core; steadier than wall time on a shared machine).

Usage: ``python bench/bench_analysis.py [--corpora DIR] [--rounds N]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from garrison.analysis.definitions import clear_caches
from garrison.model import Definition, ServerSnapshot
from garrison.scanner.checks import exfil_params, hidden_content, poisoning
from garrison.scanner.checks.interface import Check
from garrison.scanner.registry import all_checks
from garrison.scanner.runner import analyse

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"


def load(corpora: Path) -> list[ServerSnapshot]:
    servers: dict[str, list[Definition]] = defaultdict(list)
    for path in sorted((corpora / "tools").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row: dict[str, Any] = json.loads(line)
            if "kind" not in row:
                continue
            raw = {"name": row["name"], "description": row.get("description") or ""}
            if isinstance(row.get("inputSchema"), dict):
                raw["inputSchema"] = row["inputSchema"]
            kind = "tool" if row["kind"] != "prompt" else "prompt"
            servers[f"{path.stem}/{row['server']}"].append(Definition(kind, raw))
    return [ServerSnapshot(name, tools=tuple(d for d in defs if d.kind == "tool"),
                           prompts=tuple(d for d in defs if d.kind == "prompt"))
            for name, defs in servers.items()]


def rate(snapshots: list[ServerSnapshot], checks: tuple[Check, ...], rounds: int) -> float:
    count = sum(len(s.definitions) for s in snapshots)
    best = float("inf")
    for _ in range(rounds):
        clear_caches()
        start = time.process_time()
        analyse(snapshots, checks=checks)
        best = min(best, time.process_time() - start)
    return count / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    if not (args.corpora / "tools").is_dir():
        print(f"corpora not found at {args.corpora}", file=sys.stderr)
        return 2
    snapshots = load(args.corpora)
    count = sum(len(s.definitions) for s in snapshots)
    content = (poisoning.CHECK, hidden_content.CHECK, exfil_params.CHECK)
    print(f"definitions: {count} in {len(snapshots)} servers")
    print(f"content checks (G1xx-G3xx): {rate(snapshots, content, args.rounds):,.0f} definitions/s")
    print(f"all registered checks:      {rate(snapshots, all_checks(), args.rounds):,.0f} definitions/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
