"""Start-up cost of the sandbox backends: ``python tests/sandbox/bench_startup.py [RUNS]``.

Prints the mean wall time of ``python -c pass`` run directly, under bubblewrap and under the Landlock launcher
(profile ``strict``), plus the time to probe the backends and to build the sandboxed command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence

from garrison.sandbox import prepare
from garrison.sandbox.backends import probe_backends


def mean_ms(argv: Sequence[str], runs: int) -> float:
    start = time.perf_counter()
    for _ in range(runs):
        subprocess.run(argv, check=True)
    return (time.perf_counter() - start) / runs * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    home = os.path.expanduser("~")
    argv = [sys.executable, "-c", "pass"]
    start = time.perf_counter()
    facts = probe_backends(os.environ)
    probe_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    bwrap = prepare(argv, "strict", home=home, environ=os.environ, backend="bwrap", backend_facts=facts).argv
    prepare_ms = (time.perf_counter() - start) * 1000
    landlock = prepare(argv, "strict", home=home, environ=os.environ, backend="landlock", backend_facts=facts).argv
    print(f"probe backends: {probe_ms:.0f} ms; build command line: {prepare_ms:.0f} ms")
    print(f"python -c pass, mean of {runs}: direct {mean_ms(argv, runs):.0f} ms, "
          f"bubblewrap {mean_ms(bwrap, runs):.0f} ms, landlock {mean_ms(landlock, runs):.0f} ms")


if __name__ == "__main__":
    main()
