"""Start-up time of ``garrison --version`` (target ≤ 0.3 s), side by side with a bare interpreter start.

Usage: ``python bench/bench_startup.py [--runs N]``. Prints the median and p90 wall time of each command over
N alternating runs, and the ratio garrison / bare interpreter.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    garrison = shutil.which("garrison", path=str(Path(sys.executable).parent)) or "garrison"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "garrison --version": [garrison, "--version"],
        "garrison --help": [garrison, "--help"],
    }
    for cmd in commands.values():
        _time(cmd)  # warm the file cache
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            samples[name].append(_time(cmd))
    base = statistics.median(samples["python -c pass"])
    print("| command | median s | p90 s | × bare python |")
    print("|---|---|---|---|")
    for name, values in samples.items():
        values.sort()
        p90 = values[int(len(values) * 0.9) - 1]
        print(f"| `{name}` | {statistics.median(values):.3f} | {p90:.3f} | {statistics.median(values) / base:.2f} |")


if __name__ == "__main__":
    main()
