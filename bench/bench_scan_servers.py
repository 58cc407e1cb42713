"""Concurrent vs sequential snapshots of the five third-party reference servers.

    scripts/install-test-servers            # once
    .venv/bin/python bench/bench_scan_servers.py [--rounds 3]

Each round snapshots all five servers with ``snapshot_all`` at concurrency 5 and then one at a time
(concurrency 1), and prints the median wall time of each and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "protocol"))

from real_servers import missing, real_servers  # noqa: E402

from garrison.model import LaunchSpec  # noqa: E402
from garrison.protocol import snapshot_all_sync  # noqa: E402


def timed(specs: list[LaunchSpec], concurrency: int) -> float:
    started = time.perf_counter()
    results = snapshot_all_sync(specs, timeout=60, concurrency=concurrency)
    elapsed = time.perf_counter() - started
    failed = [f"{r.name}: {r.error}" for r in results if r.status != "ok"]
    if failed:
        raise SystemExit("bench_scan_servers: " + "; ".join(failed))
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if (reason := missing()) is not None:
        print(f"bench_scan_servers: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as workdir:
        specs = [s.spec for s in real_servers(Path(workdir))]
        concurrent, sequential = [], []
        for _ in range(args.rounds):
            concurrent.append(timed(specs, concurrency=len(specs)))
            sequential.append(timed(specs, concurrency=1))
    c, s = statistics.median(concurrent), statistics.median(sequential)
    print(f"servers: {len(specs)} ({', '.join(x.name for x in specs)}), rounds: {args.rounds}")
    print(f"concurrent (snapshot_all, concurrency={len(specs)}): {c:.2f} s median")
    print(f"sequential (concurrency=1):                 {s:.2f} s median")
    print(f"speed-up: {s / c:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
