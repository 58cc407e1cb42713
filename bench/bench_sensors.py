"""Process sensor figures: exec catch rate, enrichment rate and cost, proc connector vs /proc polling.

A watched shell spawns N short-lived ``/bin/true`` children as fast as it can. For each backend the run
reports how many of the N execs were reported, how many were fully enriched (image and command line read from
/proc before the child vanished), the wall time with the watcher, and the same loop unwatched for reference.
``netlink+all`` also runs the file (fanotify), network and memory sensors.
Needs root for the proc connector (otherwise both rows are polling).

    .venv/bin/python bench/bench_sensors.py [--children 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

from garrison.model import Event
from garrison.sensors import Command, Watcher, WatchOptions


def loop(n: int) -> tuple[str, ...]:
    return ("/bin/sh", "-c", f"i=0; while [ $i -lt {n} ]; do /bin/true; i=$((i+1)); done")


def watched(n: int, backend: str) -> tuple[int, int, float]:
    events: list[Event] = []
    process, _, extra = backend.partition("+")
    options = WatchOptions(process_backend=process, file_backend="auto" if extra else "off",  # type: ignore[arg-type]
                           network=bool(extra), memory=bool(extra), poll_interval=0.05)
    start = time.perf_counter()
    with Watcher(Command(loop(n)), events.append, options) as watcher:
        watcher.wait()
        root = watcher.root_pids[0]
    elapsed = time.perf_counter() - start
    creations = [e for e in events if e.logsource.category == "process_creation"
                 and e.fields.get("ParentProcessId") == root]
    caught = len({e.fields["ProcessId"] for e in creations})
    complete = sum(1 for e in creations if e.fields.get("Enrichment") == "complete")
    return caught, complete, elapsed


def unwatched(n: int) -> float:
    start = time.perf_counter()
    subprocess.run(loop(n), check=True)
    return time.perf_counter() - start


BACKENDS = ("netlink", "netlink+all", "polling")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = args.children
    # Set-ups alternate within each round so that machine load affects all alike.
    base: list[float] = []
    runs: dict[str, list[tuple[int, int, float]]] = {b: [] for b in BACKENDS}
    for _ in range(args.rounds):
        base.append(unwatched(n))
        for backend in BACKENDS:
            runs[backend].append(watched(n, backend))
    unwatched_time = statistics.median(base)
    print(f"{n} short-lived children per run, median of {args.rounds} rounds; unwatched loop {unwatched_time:.2f}s")
    print(f"{'backend':<12} {'caught':>12} {'enriched':>12} {'time':>8} {'vs unwatched':>13}")
    for backend in BACKENDS:
        caught = statistics.median(r[0] for r in runs[backend])
        complete = statistics.median(r[1] for r in runs[backend])
        elapsed = statistics.median(r[2] for r in runs[backend])
        print(f"{backend:<12} {caught:>6.0f}/{n:<5} {complete:>6.0f}/{n:<5} {elapsed:>7.2f}s "
              f"{elapsed / unwatched_time:>12.2f}x")


if __name__ == "__main__":
    main()
