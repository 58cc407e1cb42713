"""Event store throughput: append (batched), query and hunt, for the memory and SQLite backends.

    .venv/bin/python bench/bench_events.py [--events 200000] [--batch 5000] [--skip-memory]

Three SQLite figures side by side: ``floor`` (the same rows into a plain table with no index), ``before`` (the
schema and append path as they were before migration 0003, kept here for the comparison) and the store now;
then ``bulk``, a bulk import into an empty store with its read indexes built once at the end; the last line
prints their ratios.

Events are realistic: Sysmon-style process starts and network connections with Windows paths and GUIDs, and
MCP tool-call records as ``garrison wrap`` writes them. Rates are printed per wall-clock second and per
CPU second of this process (the second is steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import math
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from garrison.audit import verify_chain
from garrison.hunt import hunt_query
from garrison.model import Event, LogSource
from garrison.store import open_store
from garrison.store.events import MAX_EVENT_BYTES, EventQuery, compile_filter, normalise_batch, take
from garrison.store.events_sql import Translation, event_of_row, translate
from garrison.store.migrate import migrations, split_statements
from garrison.store.sqlite import FETCH, SqliteStore

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


def _queries(events: list[Event]) -> list[tuple[str, EventQuery]]:
    guid = next(e.links["process_guid"] for e in reversed(events) if "process_guid" in e.links)
    return [
        ("last hour, product+category, limit 100",
         EventQuery(since=events[-1].time - 3600, product="windows", category="process_creation", limit=100)),
        ("hunt Image:*\\\\reg.exe AND CommandLine~out1",
         hunt_query("Image:*\\reg.exe AND CommandLine~out1", limit=1000)),
        ("hunt free text 'example.com' limit 50", hunt_query('"example.com"', limit=50)),
        ("count category:tool_call links.server:web", hunt_query("category:tool_call links.server:web", limit=None)),
        ("links.process_guid (one process), no limit", EventQuery(links={"process_guid": guid})),
        ("source:garrison.wrap last hour, limit 100",
         EventQuery(since=events[-1].time - 3600, source="garrison.wrap", limit=100)),
    ]


def _line(label: str, what: str, n: int, wall: float, cpu: float, note: str = "") -> None:
    print(f"{label:<12} {what:<8} {n:>8} events  {n / wall:>10,.0f} ev/s wall  {n / cpu:>10,.0f} ev/s cpu"
          + (f"  {note}" if note else ""))


def _query_line(label: str, found: int, wall: float) -> None:
    print(f"{'':<12} query    {label:<44} {found:>7} rows {wall * 1000:>9.1f} ms")


def bench(target: str, events: list[Event], batch: int) -> float:
    """Append, query, audit and verify through the store; returns the append rate per CPU second."""
    store = open_store(target)
    try:
        def load() -> None:
            for chunk in _batches(events, batch):
                store.append_events(chunk)

        wall, cpu, _ = _clock(load)
        rate = len(events) / cpu
        _line(target.split("/")[-1], "append", len(events), wall, cpu)
        for label, query in _queries(events):
            def ask(query: EventQuery = query, count: bool = label.startswith("count")) -> int:
                return store.count_events(query) if count else sum(1 for _ in store.query_events(query))

            wall, cpu, found = _clock(ask)
            _query_line(label, found, wall)
        audit = events[: max(1, len(events) // 20)]

        def chain() -> None:
            for chunk in _batches([Event(e.time, e.logsource, e.fields, e.source, None, e.links) for e in audit],
                                  100):
                store.append_audit(chunk)

        wall, cpu, _ = _clock(chain)
        _line("", "audit", len(audit), wall, cpu, "(batches of 100, hash-chained)")
        wall, cpu, result = _clock(lambda: verify_chain(store))
        assert result.ok
        print(f"{'':<12} verify   {result.checked:>8} records {result.checked / wall:>10,.0f} rec/s wall")
    finally:
        store.close()
    return rate


def bulk(events: list[Event], batch: int, path: Path) -> float:
    """A bulk import into an empty store: the same batches inside ``deferred_indexes()``, the final index
    build included. Returns the rate per CPU second."""
    store = SqliteStore(path)
    try:
        def load() -> None:
            with store.deferred_indexes():
                for chunk in _batches(events, batch):
                    store.append_events(chunk)

        wall, cpu, _ = _clock(load)
        _line("bulk", "import", len(events), wall, cpu, "(deferred_indexes: built once at the end)")
        assert store.count_events() == len(events)
    finally:
        store.close()
    return len(events) / cpu


# ---- the store as it was before migration 0003, for comparison ---------------------------------------------

_OLD_INSERT = ("INSERT INTO events (seq, id, time, product, category, service, source, server, call_id, "
               "process_guid, fields, links, chain_pos, prev, hash) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


@dataclass(frozen=True, slots=True)
class _OldRow:
    event: Event
    fields_json: str
    links_json: str


def _old_rows(events: list[Event]) -> list[_OldRow]:
    """The previous per-event validation and encoding (one dataclass per row)."""
    rows = []
    for event in events:
        if not isinstance(event.time, int | float) or not math.isfinite(event.time):
            raise TypeError("bad time")
        if event.id is not None and not isinstance(event.id, str):
            raise TypeError("bad id")
        if not isinstance(event.source, str):
            raise TypeError("bad source")
        if event.links and not all(isinstance(v, str) for v in event.links.values()):
            raise TypeError("bad links")
        fields_json = orjson.dumps(event.fields, option=orjson.OPT_NON_STR_KEYS).decode()
        links_json = orjson.dumps(event.links, option=orjson.OPT_NON_STR_KEYS).decode() if event.links else "{}"
        if len(fields_json) + len(links_json) > MAX_EVENT_BYTES:
            raise TypeError("too large")
        rows.append(_OldRow(event, fields_json, links_json))
    return rows


def before(events: list[Event], batch: int, path: Path) -> float:
    """The previous store: schema version 2 (eight event indexes), ``synchronous = FULL``, 15 parameters per
    row. Returns the append rate per CPU second; queries run through the same translation."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    for _, _, script in migrations()[:2]:
        for statement in split_statements(script):
            conn.execute(statement)

    def load() -> None:
        seq = 0
        for chunk in _batches(events, batch):
            rows = _old_rows(chunk)
            conn.execute("BEGIN IMMEDIATE")
            last = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()
            seq = int(last[0]) if last else 0
            values = []
            for row in rows:
                seq += 1
                event, links = row.event, row.event.links
                ls = event.logsource
                values.append((seq, event.id or f"bench-{seq}", event.time, ls.product, ls.category, ls.service,
                               event.source, links.get("server"), links.get("call_id"), links.get("process_guid"),
                               row.fields_json, row.links_json, None, None, None))
            conn.executemany(_OLD_INSERT, values)
            conn.execute("COMMIT")

    wall, cpu, _ = _clock(load)
    rate = len(events) / cpu
    _line("before", "append", len(events), wall, cpu, "(schema v2: 8 indexes, synchronous=FULL)")
    for label, query in _queries(events):
        count = label.startswith("count")
        plan = translate(query, count=count)

        def run(plan: Translation = plan, query: EventQuery = query, count: bool = count) -> int:
            cursor = conn.execute(plan.sql, plan.params)
            if plan.exact and count:
                return int(cursor.fetchone()[0])
            # Read as the store reads: batches of FETCH rows, each decoded into an Event.
            events = map(event_of_row, (row for batch in iter(lambda: cursor.fetchmany(FETCH), []) for row in batch))
            if plan.exact:
                return sum(1 for _ in events)
            accept = compile_filter(plan.filter)
            return sum(1 for _ in take((e for e in events if accept(e)), query.limit))

        wall, _, found = _clock(run)
        _query_line(label, found, wall)
    conn.close()
    return rate


def floor(events: list[Event], batch: int, path: Path) -> float:
    """CPU rate of the same rows (JSON made the same way) into one table with no index: what this machine
    can do at best, to read the store's figure against."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE t (id TEXT, time REAL, product TEXT, category TEXT, source TEXT, fields TEXT, "
                 "links TEXT)")
    cpu = time.process_time()
    for n, chunk in enumerate(_batches(events, batch)):
        rows = [(f"{n}-{i}", event.time, event.logsource.product, event.logsource.category, event.source,
                 fields_json, links_json)
                for i, (event, fields_json, links_json) in enumerate(normalise_batch(chunk, where="floor"))]
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
    parser.add_argument("--skip-memory", action="store_true", help="only the SQLite figures")
    args = parser.parse_args()
    events = make_events(args.events)
    if not args.skip_memory:
        bench("memory:", events, args.batch)
    with tempfile.TemporaryDirectory() as tmp:
        base = floor(events, args.batch, Path(tmp) / "floor.db")
        print(f"{'floor':<12} append   {len(events):>8} events  {'':>21}  {base:>10,.0f} ev/s cpu  "
              "(same rows, plain table, no index)")
        old = before(events, args.batch, Path(tmp) / "before.db")
        new = bench(str(Path(tmp) / "events.db"), events, args.batch)
        fast = bulk(events, args.batch, Path(tmp) / "bulk.db")
    print(f"ratios (ev/s cpu): store/floor {new / base:.2f}   before/floor {old / base:.2f}   "
          f"store/before {new / old:.2f}   bulk/floor {fast / base:.2f}   bulk/before {fast / old:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
