"""Event store throughput: append (batched), query and hunt, for the memory and SQLite backends.

    .venv/bin/python bench/bench_events.py [--events 200000] [--batch 5000]

Events are realistic: Sysmon-style process starts and network connections with Windows paths and GUIDs, and
MCP tool-call records as ``garrison wrap`` writes them. Rates are printed per wall-clock second and per
CPU second of this process (the second is steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from garrison.audit import verify_chain
from garrison.hunt import hunt_query
from garrison.model import Event, LogSource
from garrison.store import open_store
from garrison.store.events import EventQuery, normalise_batch

PROCESS = LogSource("windows", "process_creation")
NETWORK = LogSource("windows", "network_connection")
TOOL_CALL = LogSource("mcp", "tool_call")
IMAGES = ("C:\\Windows\\System32\\cmd.exe", "C:\\Windows\\System32\\reg.exe", "C:\\Program Files\\Git\\bin\\git.exe",
          "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "C:\\Users\\alice\\AppData\\Local\\"
          "Programs\\Python\\Python311\\python.exe", "C:\\Program Files\\nodejs\\node.exe")


def _guid(rng: random.Random) -> str:
    return (f"{{{rng.getrandbits(32):08X}-{rng.getrandbits(16):04X}-{rng.getrandbits(16):04X}-"
            f"{rng.getrandbits(16):04X}-{rng.getrandbits(48):012X}}}")


def make_events(count: int, *, seed: int = 7, start: float = 1_767_225_600.0) -> list[Event]:
    rng = random.Random(seed)
    out: list[Event] = []
    for i in range(count):
        when = start + i * 0.05
        guid = _guid(rng)
        kind = i % 10
        if kind < 6:
            image = rng.choice(IMAGES)
            fields: dict[str, Any] = {
                "UtcTime": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(when)), "ProcessGuid": guid,
                "ProcessId": rng.randrange(400, 40000), "Image": image, "OriginalFileName": Path(image).name,
                "CommandLine": f'"{image}" /c echo build step {rng.randrange(10**6)} > C:\\temp\\out{i}.log',
                "CurrentDirectory": "C:\\Users\\alice\\src\\project\\", "User": "CORP\\alice",
                "IntegrityLevel": rng.choice(("Medium", "High")), "Hashes": f"SHA256={rng.getrandbits(256):064X}",
                "ParentProcessGuid": _guid(rng), "ParentImage": "C:\\Windows\\explorer.exe",
                "ParentCommandLine": "C:\\Windows\\explorer.exe"}
            out.append(Event(when, PROCESS, fields, "sysmon", links={"process_guid": guid}))
        elif kind < 8:
            fields = {"ProcessGuid": guid, "Image": rng.choice(IMAGES), "Protocol": "tcp", "Initiated": True,
                      "SourceIp": f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
                      "SourcePort": rng.randrange(1024, 65535), "DestinationIp": f"93.184.{rng.randrange(256)}.34",
                      "DestinationHostname": "example.com", "DestinationPort": 443}
            out.append(Event(when, NETWORK, fields, "sysmon", links={"process_guid": guid}))
        else:
            server = rng.choice(("filesystem", "github", "web"))
            fields = {"server": server, "method": "tools/call", "tool": rng.choice(("read_file", "search", "fetch")),
                      "arguments_shape": {"path": "str", "limit": "int"}, "decision": "pass", "reason": None,
                      "latency_ms": round(rng.uniform(1, 900), 3), "result_bytes": rng.randrange(50, 90000),
                      "is_error": False}
            out.append(Event(when, TOOL_CALL, fields, "garrison.wrap",
                             links={"server": server, "call_id": str(i)}))
    return out


def _clock(action: Callable[[], Any]) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _batches(events: list[Event], size: int) -> Iterator[list[Event]]:
    for start in range(0, len(events), size):
        yield events[start:start + size]


def bench(target: str, events: list[Event], batch: int) -> None:
    store = open_store(target)
    try:
        def load() -> None:
            for chunk in _batches(events, batch):
                store.append_events(chunk)

        wall, cpu, _ = _clock(load)
        n = len(events)
        print(f"{target.split('/')[-1]:<12} append   {n:>8} events  {n / wall:>10,.0f} ev/s wall  "
              f"{n / cpu:>10,.0f} ev/s cpu")
        audit = events[: max(1, n // 20)]

        def chain() -> None:
            for chunk in _batches([Event(e.time, e.logsource, e.fields, e.source, None, e.links) for e in audit],
                                  100):
                store.append_audit(chunk)

        wall, cpu, _ = _clock(chain)
        print(f"{'':<12} audit    {len(audit):>8} events  {len(audit) / wall:>10,.0f} ev/s wall  "
              f"{len(audit) / cpu:>10,.0f} ev/s cpu  (batches of 100, hash-chained)")
        wall, cpu, result = _clock(lambda: verify_chain(store))
        assert result.ok
        print(f"{'':<12} verify   {result.checked:>8} records {result.checked / wall:>10,.0f} rec/s wall")
        queries: list[tuple[str, EventQuery]] = [
            ("last hour, product+category, limit 100",
             EventQuery(since=events[-1].time - 3600, product="windows", category="process_creation", limit=100)),
            ("hunt Image:*\\\\reg.exe AND CommandLine~out1",
             hunt_query("Image:*\\reg.exe AND CommandLine~out1", limit=1000)),
            ("hunt free text 'example.com' limit 50", hunt_query('"example.com"', limit=50)),
            ("count category:tool_call links.server:web", hunt_query("category:tool_call links.server:web",
                                                                      limit=None)),
        ]
        for label, query in queries:
            if label.startswith("count"):
                wall, cpu, found = _clock(lambda q=query: store.count_events(q))
            else:
                wall, cpu, found = _clock(lambda q=query: sum(1 for _ in store.query_events(q)))
            print(f"{'':<12} query    {label:<44} {found:>7} rows {wall * 1000:>9.1f} ms")
    finally:
        store.close()


def floor(events: list[Event], batch: int, path: Path) -> float:
    """CPU rate of the same rows (JSON made the same way) into one table with no index: what this machine
    can do at best, to read the store's figure against."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (id TEXT, time REAL, product TEXT, category TEXT, source TEXT, fields TEXT, "
                 "links TEXT)")
    cpu = time.process_time()
    for n, chunk in enumerate(_batches(events, batch)):
        rows = [(f"{n}-{i}", r.event.time, r.event.logsource.product, r.event.logsource.category, r.event.source,
                 r.fields_json, r.links_json) for i, r in enumerate(normalise_batch(chunk, where="floor"))]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    rate = len(events) / (time.process_time() - cpu)
    conn.close()
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    events = make_events(args.events)
    bench("memory:", events, args.batch)
    with tempfile.TemporaryDirectory() as tmp:
        bench(str(Path(tmp) / "events.db"), events, args.batch)
        rate = floor(events, args.batch, Path(tmp) / "floor.db")
        print(f"{'floor':<12} append   {len(events):>8} events  {'':>21}  {rate:>10,.0f} ev/s cpu  "
              "(same rows, plain table, no index)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
