"""Pins and store throughput: 100 servers x 50 tools; 100 servers and 1 000 findings per stored run."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from garrison.model import Definition, Finding, ServerSnapshot, Severity
from garrison.model.scan import ScanResult, ServerResult
from garrison.pins import Lockfile, compare, pin
from garrison.store import open_store


def timed(label: str, fn, repeat: int = 5):  # type: ignore[no-untyped-def]
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<48} {best * 1000:8.1f} ms")
    return value


def main() -> None:
    schema = {"type": "object", "properties": {"path": {"type": "string", "description": "A path."}}}
    snaps = [
        ServerSnapshot(
            name=f"s{i}",
            tools=tuple(Definition("tool", {"name": f"t{j}", "description": "Reads a file. " * 20,
                                            "inputSchema": schema}) for j in range(50)),
            instructions="Be careful.",
        )
        for i in range(100)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "garrison.lock"
        lock = timed("pin (100 servers x 50 tools)", lambda: pin(snaps))
        timed("Lockfile.save", lambda: lock.save(path))
        print(f"{'lockfile size':<48} {path.stat().st_size / 1e6:8.1f} MB")
        loaded = timed("Lockfile.load (parse + verify)", lambda: Lockfile.load(path))
        timed("compare (no drift)", lambda: compare(loaded, snaps))
        store = open_store(Path(tmp) / "garrison.db")
        findings = tuple(
            Finding(rule="G101", title="t", severity=Severity.HIGH, server=f"s{i % 100}", target=f"tool:t{i}",
                    location="description", message="m")
            for i in range(1000)
        )
        result = ScanResult(tuple(ServerResult(f"s{i}", "ok") for i in range(100)), findings, 1.0, 2.0)
        run = timed("sqlite record_scan (100 servers, 1000 findings)",
                    lambda: store.record_scan(result, source="bench"))
        timed("sqlite run_findings (1000)", lambda: store.run_findings(run.id))
        store.close()


if __name__ == "__main__":
    main()
