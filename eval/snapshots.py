"""Cross-server detection quality on multi-server snapshots.

Data (from ``<repo>/../shared/corpora/tools``):

- ``snapshots/msb/*.json`` with ``*.labels.json``: an original server beside its attack copy; labels list the
  malicious and benign ``(server, tool, kind)`` triples.
- ``mcpsecbench.jsonl``: rows grouped by ``server`` into one scan; classes ``server_name_squatting`` and
  ``tool_shadowing`` are scored (rows of other classes are left in the scan but not scored).
- ``docker-mcp-registry.jsonl``: 28 benign servers in one scan; every finding there at medium or above on a
  tool is a false positive.

A definition counts as flagged when a finding of severity >= medium (``--min-severity``) has ``server`` equal
to its server and ``target`` equal to ``<kind>:<name>``. Findings on ``server``, ``launch`` or ``flow:*``
targets never flag a tool; with ``--server-level`` a ``server`` finding flags every definition of its server
(reported separately, for server-name squatting).

Usage: ``python eval/snapshots.py [--corpora DIR] [--checks collisions,shadowing] [--server-level]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from garrison.model import Finding, ServerSnapshot, Severity, snapshots_from_json
from garrison.scanner.checks.interface import Check
from garrison.scanner.runner import analyse

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = REPO_ROOT.parent / "shared" / "corpora"
DEFAULT_CHECKS = ("collisions", "shadowing", "toxic_flows", "launch_config")

Key = tuple[str, str, str]
"""(server, kind, name)"""


@dataclass
class Tally:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def add(self, flagged: bool, malicious: bool) -> None:
        if malicious:
            if flagged:
                self.tp += 1
            else:
                self.fn += 1
        elif flagged:
            self.fp += 1
        else:
            self.tn += 1

    def row(self, name: str) -> str:
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")
        return (f"| {name} | {self.tp + self.fn} | {self.tp} | {self.fp} | {self.tn} | {recall:.3f} | "
                f"{precision:.3f} |")


def load_checks(names: Iterable[str]) -> list[Check]:
    import importlib

    return [importlib.import_module(f"garrison.scanner.checks.{n}").CHECK for n in names]


def flagged(findings: Iterable[Finding], servers: Sequence[ServerSnapshot], min_severity: Severity,
            server_level: bool) -> set[Key]:
    out: set[Key] = set()
    by_name = {s.name: s for s in servers}
    for f in findings:
        if f.severity < min_severity:
            continue
        kind, _, name = f.target.partition(":")
        if kind in ("tool", "prompt", "resource", "resource_template") and name:
            out.add((f.server, kind, name))
        elif server_level and f.target == "server" and f.server in by_name:
            out.update((f.server, d.kind, d.key) for d in by_name[f.server].definitions)
    return out


def _anonymise(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Rename servers to ``server-1``, ``server-2``, ... so that their names give nothing away."""
    names = {old: f"server-{i}" for i, old in enumerate(data["servers"], 1)}
    return {"servers": {names[k]: v for k, v in data["servers"].items()}}, names


def eval_msb(corpora: Path, checks: list[Check], min_severity: Severity, server_level: bool,
             tallies: dict[str, Tally], anonymise: bool = False) -> None:
    for path in sorted((corpora / "tools" / "snapshots" / "msb").glob("*.json")):
        if path.name.endswith(".labels.json"):
            continue
        labels = json.loads(path.with_name(path.stem + ".labels.json").read_text())
        data = json.loads(path.read_text())
        rename = {k: k for k in data["servers"]}
        if anonymise:
            data, rename = _anonymise(data)
        servers = snapshots_from_json(data, where=str(path))
        hits = flagged(analyse(servers, checks=checks), servers, min_severity, server_level)
        attack = f"msb:{labels['attack']}"
        for item in labels["malicious"]:
            key = (rename[item["server"]], item["kind"], item["tool"])
            tallies[attack].add(key in hits, True)
            tallies["msb:all"].add(key in hits, True)
        for item in labels["benign"]:
            key = (rename[item["server"]], item["kind"], item["tool"])
            tallies[attack].add(key in hits, False)
            tallies["msb:all"].add(key in hits, False)


def _rows_to_servers(rows: Iterable[dict[str, Any]]) -> list[ServerSnapshot]:
    by_server: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        item: dict[str, Any] = {"name": r["name"], "description": r.get("description") or ""}
        if r["kind"] == "resource":
            item["uri"] = r.get("uri") or f"resource://{r['name']}"
            by_server[r["server"]]["resources"].append(item)
            continue
        if r.get("inputSchema") is not None:
            item["inputSchema"] = r["inputSchema"]
        by_server[r["server"]]["tools" if r["kind"] == "tool" else "prompts"].append(item)
    return snapshots_from_json({"servers": {k: dict(v) for k, v in by_server.items()}})


def eval_mcpsecbench(corpora: Path, checks: list[Check], min_severity: Severity, server_level: bool,
                     tallies: dict[str, Tally]) -> None:
    rows = [json.loads(line) for line in (corpora / "tools" / "mcpsecbench.jsonl").read_text().splitlines()]
    servers = _rows_to_servers(rows)
    hits = flagged(analyse(servers, checks=checks), servers, min_severity, server_level)
    scored = ("server_name_squatting", "tool_shadowing")
    for r in rows:
        key = (r["server"], r["kind"], r["name"] if r["kind"] != "resource" else r.get("uri", ""))
        if r["label"] == "benign":
            for cls in scored:
                tallies[f"mcpsecbench:{cls}"].add(key in hits, False)
        elif r["attack"] in scored:
            tallies[f"mcpsecbench:{r['attack']}"].add(key in hits, True)


def eval_registry(corpora: Path, checks: list[Check], min_severity: Severity) -> tuple[int, int, float,
                                                                                      list[Finding]]:
    rows = [json.loads(line) for line in
            (corpora / "tools" / "docker-mcp-registry.jsonl").read_text().splitlines()]
    servers = _rows_to_servers(rows)
    start = time.perf_counter()
    findings = analyse(servers, checks=checks)
    elapsed = time.perf_counter() - start
    bad = [f for f in findings if f.severity >= min_severity and f.target.startswith(("tool:", "prompt:"))]
    tools = sum(len(s.definitions) for s in servers)
    return tools, len({(f.server, f.target) for f in bad}), elapsed, bad


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--checks", default=",".join(DEFAULT_CHECKS))
    parser.add_argument("--min-severity", default="medium")
    parser.add_argument("--server-level", action="store_true")
    parser.add_argument("--show-fp", action="store_true", help="print the registry false positives")
    parser.add_argument("--anonymise", action="store_true",
                        help="rename the MSB servers to server-1, server-2 (no server-name hints)")
    args = parser.parse_args(argv)
    if not (args.corpora / "tools").is_dir():
        print(f"corpora not found at {args.corpora}", file=sys.stderr)
        return 2
    checks = load_checks(c.strip() for c in args.checks.split(",") if c.strip())
    min_severity = Severity.parse(args.min_severity)
    tallies: dict[str, Tally] = defaultdict(Tally)
    eval_msb(args.corpora, checks, min_severity, args.server_level, tallies, args.anonymise)
    eval_mcpsecbench(args.corpora, checks, min_severity, args.server_level, tallies)
    print(f"checks: {args.checks}; flagged = severity >= {min_severity.label}"
          f"{'; server findings flag their tools' if args.server_level else ''}"
          f"{'; MSB server names anonymised' if args.anonymise else ''}")
    print("| attack class | malicious | TP | FP | TN | recall | precision |")
    print("|---|---|---|---|---|---|---|")
    for name in sorted(tallies):
        print(tallies[name].row(name))
    tools, fps, elapsed, bad = eval_registry(args.corpora, checks, min_severity)
    print(f"\nregistry (benign, one scan): {tools} definitions, {fps} flagged (false positives), "
          f"analysed in {elapsed:.2f} s")
    if args.show_fp:
        for f in bad:
            print(f"  {f.rule} {f.severity.label} {f.server}/{f.target}: {f.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

