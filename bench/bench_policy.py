"""Latency of ``Policy.decide`` on the shipped example policy (``examples/garrison.yaml``), single process.

Runs a mixed workload: reads under a path allow-list, fetches under a domain allow-list, mail sends with a
regex, a rate limit and a data-flow rule, denied shell calls, and calls from a CI identity. Each call's time is
measured on its own; prints the per-call percentiles in microseconds, per kind and overall.

    python bench/bench_policy.py [--n 20000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from garrison.analysis.capabilities import Capability
from garrison.policy import CallContext, PolicyState, load_policy

ROOT = Path(__file__).resolve().parents[1]
READ = frozenset({Capability.READS_PRIVATE_DATA})
FETCH = frozenset({Capability.INGESTS_UNTRUSTED_CONTENT, Capability.SENDS_DATA_OUT})
SEND = frozenset({Capability.SENDS_DATA_OUT})
EXEC = frozenset({Capability.EXECUTES_CODE})

WORKLOAD: dict[str, tuple[str, str, dict[str, Any], str | None, frozenset[Capability]]] = {
    "read (path allow-list)": ("filesystem", "read_file", {"path": "src/app/main.py"}, None, READ),
    "read traversal (denied)": ("filesystem", "read_file", {"path": "../../.ssh/id_rsa"}, None, READ),
    "fetch (domain allow-list)": ("web", "fetch", {"url": "https://docs.python.org/3/library/re.html"}, None, FETCH),
    "send mail (regex, rate, flow)": ("mail", "send_email", {"to": "bob@example.com", "subject": "Status",
                                                            "body": "All green. " * 20}, None, SEND),
    "shell (denied by rule)": ("shell", "run_shell", {"command": "ls -la"}, None, EXEC),
    "ci identity read": ("repo", "read_issue", {"number": 42}, "token:ci-runner", READ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="calls per kind")
    args = parser.parse_args()
    policy = load_policy(ROOT / "examples" / "garrison.yaml", home="/home/me", cwd="/home/me/projects/app")
    overall: list[float] = []
    print(f"{'call':32} {'decision':8} {'p50 µs':>8} {'p99 µs':>8}")
    for label, (server, tool, arguments, identity, caps) in WORKLOAD.items():
        call = CallContext(server, tool, arguments, identity, caps)
        state = PolicyState()
        policy.decide(CallContext("filesystem", "read_file", {"path": "a"}, None, READ), state, 0.0)
        times: list[float] = []
        now = 0.0
        decision = policy.decide(call, state, now)
        for _ in range(args.n):
            now += 200.0  # keeps the mail rate limit from filling up, so every call runs the whole path
            start = time.perf_counter_ns()
            decision = policy.decide(call, state, now)
            times.append((time.perf_counter_ns() - start) / 1000)
        times.sort()
        overall += times
        p50, p99 = statistics.median(times), times[int(len(times) * 0.99)]
        print(f"{label:32} {decision.action:8} {p50:8.2f} {p99:8.2f}")
    overall.sort()
    print(f"{'all':32} {'':8} {statistics.median(overall):8.2f} {overall[int(len(overall) * 0.99)]:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
