"""Whole-scanner throughput: definitions per second for each registered check and for all of them together.

Data: every row of the four tool corpora (``<repo>/../shared/corpora/tools/*.jsonl``, see
``tests/scanner/scan_sets.py``), scanned two ways:

- ``multi``       one large scan of every server side by side (the cross-server checks compare all of them)
- ``per-server``  one scan per server

Timing is CPU seconds of this process (one core; steadier than wall time on a shared machine), the best of
``--rounds`` rounds. Memo caches (``functools.lru_cache`` with a size bound in ``garrison``) are cleared
before every round, so each round is a cold scan; load-once data caches are kept.

``--baseline SRC`` also runs this benchmark in a child process against another source tree (``SRC`` holds
the ``garrison`` package, e.g. an older checkout's ``src``), one round of each in turn, and prints both side
by side with their ratio. Rows: each check alone, the content checks together, the cross-server checks
together, and every registered check.
``--findings PATH`` writes, per scan set and check, the findings (``Finding.to_json()``) instead of timing;
``--digests`` writes only their count and digest (the fixture of ``tests/scanner/test_scan_equivalence.py``).

Usage: ``python bench/bench_scan.py [--corpora DIR] [--rounds N] [--baseline SRC]``
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "scanner"))

from scan_sets import corpus_rows, corpus_servers, scan_sets  # noqa: E402

from garrison.model import ServerSnapshot  # noqa: E402
from garrison.model.hashing import digest  # noqa: E402
from garrison.scanner.checks.interface import Check  # noqa: E402
from garrison.scanner.registry import CHECK_MODULES, all_checks  # noqa: E402
from garrison.scanner.runner import analyse  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
CROSS_SERVER = ("shadowing", "collisions", "toxic_flows", "launch_config")
GROUPS = {
    "content checks (poisoning, hidden_content, exfil_params)": ("poisoning", "hidden_content", "exfil_params"),
    "cross-server checks (shadowing, collisions, toxic_flows, launch_config)": CROSS_SERVER,
}
ALL = "all checks"


def clear_memo_caches() -> None:
    """Empty every bounded ``lru_cache`` of the ``garrison`` package (unbounded ones load data once)."""
    for obj in gc.get_objects():
        if isinstance(obj, functools._lru_cache_wrapper) and getattr(obj, "__module__", "").startswith("garrison"):
            if obj.cache_info().maxsize is not None:
                obj.cache_clear()


def corpus_scans(corpora: Path) -> dict[str, list[list[ServerSnapshot]]]:
    servers = [s for name in ("msb", "mcp-guardbench", "mcpsecbench", "docker-mcp-registry")
               for s in corpus_servers(corpus_rows(corpora, name), prefix=f"{name}:")]
    return {"multi": [servers], "per-server": [[s] for s in servers]}


def cpu_seconds(scans: Sequence[Sequence[ServerSnapshot]], checks: Sequence[Check], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        clear_memo_caches()
        start = time.process_time()
        for servers in scans:
            analyse(servers, checks=checks)
        times.append(time.process_time() - start)
    return min(times)


def measure(corpora: Path, rounds: int) -> dict[str, Any]:
    """``{"definitions": n, "rates": {mode: {check: definitions/s}}}``."""
    checks = dict(zip(CHECK_MODULES, all_checks(), strict=True))
    scans = corpus_scans(corpora)
    count = sum(len(s.definitions) for s in scans["multi"][0])
    # Warm the interpreter (imports, regex compilation, data loading) once; rounds then start cold.
    analyse(scans["multi"][0])
    rates: dict[str, dict[str, float]] = {}
    for mode, mode_scans in scans.items():
        rates[mode] = {name: count / cpu_seconds(mode_scans, [check], rounds) for name, check in checks.items()}
        for group, names in GROUPS.items():
            chosen = [checks[n] for n in names if n in checks]
            rates[mode][group] = count / cpu_seconds(mode_scans, chosen, rounds)
        rates[mode][ALL] = count / cpu_seconds(mode_scans, list(checks.values()), rounds)
    return {"definitions": count, "servers": len(scans["per-server"]), "rates": rates}


def side_by_side(src: Path, corpora: Path, rounds: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both trees, one round each in turn (so that a change in machine load hits both), best of ``rounds``."""
    before: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []
    for _ in range(rounds):
        before.append(baseline(src, corpora, 1))
        after.append(measure(corpora, 1))
    return _best(before), _best(after)


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    best = dict(runs[0])
    best["rates"] = {mode: {name: max(run["rates"][mode][name] for run in runs) for name in rates}
                     for mode, rates in runs[0]["rates"].items()}
    return best


def baseline(src: Path, corpora: Path, rounds: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, __file__, "--corpora", str(corpora), "--rounds", str(rounds), "--json"],
        env=env, check=True, capture_output=True, text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def findings(corpora: Path, names: Sequence[str], digests_only: bool) -> dict[str, Any]:
    checks = dict(zip(CHECK_MODULES, all_checks(), strict=True))
    out: dict[str, Any] = {}
    for scan, servers in scan_sets(corpora).items():
        out[scan] = {}
        for name in names:
            found = [f.to_json() for f in analyse(servers, checks=[checks[name]])]
            out[scan][name] = {"count": len(found), "digest": digest(found)} if digests_only else found
    return out


def print_table(result: dict[str, Any], before: dict[str, Any] | None) -> None:
    print(f"definitions: {result['definitions']} in {result['servers']} servers; CPU time, one core, "
          f"best of rounds, cold caches")
    for mode, rates in result["rates"].items():
        print(f"\n{mode} ({'one scan of every server' if mode == 'multi' else 'one scan per server'}):")
        if before is None:
            print("| check | definitions/s |\n|---|---|")
            for name, rate in rates.items():
                print(f"| {name} | {rate:,.0f} |")
            continue
        print("| check | before, definitions/s | after, definitions/s | ratio |\n|---|---|---|---|")
        for name, rate in rates.items():
            old = before["rates"][mode].get(name)
            if old is None:
                print(f"| {name} | – | {rate:,.0f} | – |")
            else:
                print(f"| {name} | {old:,.0f} | {rate:,.0f} | {rate / old:.1f}x |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another source tree to measure side by side")
    parser.add_argument("--json", action="store_true", help="print the rates as JSON")
    parser.add_argument("--findings", type=Path, help="write findings per scan set and check to this file")
    parser.add_argument("--checks", default=",".join(CHECK_MODULES), help="checks for --findings")
    parser.add_argument("--digests", action="store_true", help="with --findings: counts and digests only")
    args = parser.parse_args(argv)
    if not (args.corpora / "tools").is_dir():
        print(f"corpora not found at {args.corpora}", file=sys.stderr)
        return 2
    if args.findings:
        names = [c.strip() for c in args.checks.split(",") if c.strip()]
        data = findings(args.corpora, names, args.digests)
        args.findings.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
        print(f"wrote findings of {len(names)} checks over {len(data)} scan sets to {args.findings}",
              file=sys.stderr)
        return 0
    if args.baseline:
        before, result = side_by_side(args.baseline, args.corpora, args.rounds)
        print_table(result, before)
        return 0
    result = measure(args.corpora, args.rounds)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
