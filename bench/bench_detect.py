"""Detection engine throughput, one core, and a comparison with pySigma's SQLite backend (Zircolite's way).

Usage::

    python bench/bench_detect.py [--corpora ../shared/corpora] [--repeat 20] [--tune] [--no-sqlite]

Events: process-creation events (SigmaHQ regression events, OTRF process creations, and one synthetic event
per Atomic Red Team Windows/Linux command, run by its executor's shell) plus the full OTRF Windows logs for the
mixed-source figure (every 10th event is held out for ``--tune``). Figures are CPU-time events per second on
one core, best of three runs over ``--repeat`` copies.

The SQLite comparison converts the same SigmaHQ process_creation rules with ``pysigma-backend-sqlite``, loads
the events into an in-memory table (every column ``COLLATE NOCASE``, a Python ``REGEXP``), runs each rule's
query once, and reports events/s over the query time; loading time is printed apart. It also checks that
both engines find the same (rule, event) matches.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from garrison.detect import Engine
from garrison.detect.compiler import CompiledRule
from garrison.events.reader import read_events
from garrison.events.rulefiles import builtin_rules_dir, load_rule_paths
from garrison.model import Event, LogSource

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
WINDOWS_PC = LogSource(product="windows", category="process_creation", service="sysmon")
LINUX_PC = LogSource(product="linux", category="process_creation")
_SHELLS = {
    "command_prompt": ("C:\\Windows\\System32\\cmd.exe", "cmd.exe /c "),
    "powershell": ("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "powershell.exe -Command "),
    "sh": ("/bin/sh", "sh -c "),
    "bash": ("/bin/bash", "bash -c "),
}


def atomic_events(corpora: Path) -> list[Event]:
    out = []
    for line in (corpora / "endpoint" / "atomic_tests.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        shell = _SHELLS.get(row["executor"])
        if shell is None or not row["command"].strip():
            continue
        windows = "windows" in row["platforms"] and row["executor"] in ("command_prompt", "powershell")
        linux = "linux" in row["platforms"] and row["executor"] in ("sh", "bash")
        if not (windows or linux):
            continue
        command = " ".join(row["command"].split())
        parent = "C:\\Windows\\explorer.exe" if windows else "/bin/bash"
        out.append(Event(0.0, WINDOWS_PC if windows else LINUX_PC,
                         {"Image": shell[0], "CommandLine": shell[1] + command, "ParentImage": parent,
                          "User": "host\\dev" if windows else "dev", "CurrentDirectory": "C:\\Users\\dev\\"
                          if windows else "/home/dev"}, id=f"atomic:{row['guid']}"))
    return out


def corpus_events(corpora: Path) -> tuple[list[Event], list[Event]]:
    """(process-creation events, every OTRF Windows event)."""
    process: list[Event] = []
    for path in sorted((corpora / "sigma" / "regression_data").rglob("*.json")):
        process.extend(read_events(path).events)
    otrf: list[Event] = []
    for path in sorted((corpora / "endpoint" / "otrf").glob("*.jsonl")):
        otrf.extend(read_events(path).events)
    process += [e for e in otrf if e.logsource.category == "process_creation"]
    return process + atomic_events(corpora), otrf


def rate(engine: Engine, events: Sequence[Event], repeat: int) -> tuple[float, int]:
    batch = list(events) * repeat
    best = float("inf")
    hits = 0
    for _ in range(3):
        start = time.process_time()
        hits = sum(len(engine.match(e)) for e in batch)
        best = min(best, time.process_time() - start)
    return len(batch) / best, hits


def _flatten(fields: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value if isinstance(value, int | float | str) or value is None else str(value)
    return out


def sqlite_run(rules: Sequence[CompiledRule], events: Sequence[Event]) -> dict[str, Any]:
    """Convert ``rules`` with pySigma's SQLite backend and run them over ``events`` in memory."""
    from sigma.backends.sqlite import sqliteBackend
    from sigma.collection import SigmaCollection

    backend = sqliteBackend()
    queries: dict[str, str] = {}
    unconverted = 0
    for compiled in rules:
        text = Path(compiled.rule.where.split("#")[0]).read_text(encoding="utf-8")
        try:
            converted = backend.convert(SigmaCollection.from_yaml(text))
        except Exception:
            unconverted += 1
            continue
        if len(converted) == 1 and isinstance(converted[0], str):
            queries[compiled.rule.id] = converted[0]
        else:
            unconverted += 1
    rows = [_flatten(dict(e.fields)) for e in events]
    names = {c for row in rows for c in row} | {f for c in rules for f in c.fields}
    columns = sorted({name.lower(): name for name in sorted(names)}.values())
    for row in rows:
        for key in [k for k in row if k not in columns]:
            row.setdefault(next(c for c in columns if c.lower() == key.lower()), row.pop(key))
    load_start = time.process_time()
    db = sqlite3.connect(":memory:")

    def regexp(pattern: str, value: Any) -> bool:
        return value is not None and re.search(pattern, str(value)) is not None
    db.create_function("REGEXP", 2, regexp, deterministic=True)
    quoted = [f'"{c}" TEXT COLLATE NOCASE' for c in columns]
    db.execute(f"CREATE TABLE logs (rowid_ INTEGER, {', '.join(quoted)})")
    placeholders = ", ".join("?" for _ in range(len(columns) + 1))
    db.executemany(f"INSERT INTO logs VALUES ({placeholders})",
                   [[i] + [row.get(c) for c in columns] for i, row in enumerate(rows)])
    load_time = time.process_time() - load_start
    matches: set[tuple[str, int]] = set()
    failed = 0
    start = time.process_time()
    for rule_id, query in queries.items():
        try:
            for (rowid,) in db.execute(query.replace("SELECT *", "SELECT rowid_", 1)):
                matches.add((rule_id, rowid))
        except sqlite3.Error:
            failed += 1
    query_time = time.process_time() - start
    return {"rules": len(queries), "converted": set(queries), "unconverted": unconverted, "failed_queries": failed,
            "load_s": load_time, "query_s": query_time, "matches": matches}


def _timed(label: str, fn: Callable[[], tuple[float, int]]) -> float:
    value, hits = fn()
    print(f"{label:<58} {value:>12,.0f} events/s   ({hits} matches)")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--tune", action="store_true",
                        help="let the engines learn literal frequencies from the held-out tenth of the events")
    args = parser.parse_args(argv)
    if not (args.corpora / "sigma").is_dir():
        print(f"corpora not found at {args.corpora}", file=sys.stderr)
        return 2
    all_process, all_otrf = corpus_events(args.corpora)
    # Every 10th event is held out as the tuning sample; the figures are measured on the other nine tenths.
    process = [e for i, e in enumerate(all_process) if i % 10]
    otrf = [e for i, e in enumerate(all_otrf) if i % 10]
    builtin = Engine(load_rule_paths([builtin_rules_dir()]).rules)
    sigma_pc = list(load_rule_paths([args.corpora / "sigma" / "rules" / "windows" / "process_creation"]).rules)
    sigma = Engine(sigma_pc)
    if args.tune:
        builtin.tune(all_process[::10] + all_otrf[::10])
        sigma.tune(all_process[::10])
    windows_process = [e for e in process if e.logsource.product == "windows"]
    print(f"events: {len(process)} process creations ({len(windows_process)} Windows), "
          f"{len(otrf)} OTRF Windows events of all kinds; x{args.repeat}")
    _timed(f"built-in pack ({len(builtin.rules)} rules), process creations",
           lambda: rate(builtin, process, args.repeat))
    _timed("built-in pack, OTRF Windows logs (all event kinds)", lambda: rate(builtin, otrf, args.repeat))
    ours = _timed(f"SigmaHQ windows/process_creation ({len(sigma_pc)} rules)",
                  lambda: rate(sigma, windows_process, args.repeat))
    if args.no_sqlite:
        return 0
    try:
        batch = windows_process * args.repeat
        result = sqlite_run(sigma_pc, batch)
    except ImportError:
        print("pysigma-backend-sqlite is not installed; SQLite comparison skipped")
        return 0
    sql_rate = len(batch) / result["query_s"]
    print(f"{'pySigma SQLite backend, same rules (' + str(result['rules']) + ' converted)':<58} "
          f"{sql_rate:>12,.0f} events/s   ({len(result['matches'])} matches; load "
          f"{result['load_s'] * 1000:.0f} ms, {result['unconverted']} not converted, "
          f"{result['failed_queries']} queries failed)")
    print(f"ratio garrison / sqlite: {ours / sql_rate:.1f}x")
    ours_matches = {(c.rule.id, i) for i, e in enumerate(batch) for c in sigma.match(e)}
    only_ours = {m for m in ours_matches - result["matches"] if m[0] in result["converted"]}
    only_sql = result["matches"] - ours_matches
    print(f"agreement: {len(ours_matches & result['matches'])} common matches, {len(only_ours)} only garrison, "
          f"{len(only_sql)} only sqlite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
