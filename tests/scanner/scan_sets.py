"""The scans the cross-server checks are measured and pinned on, built from the shared corpora and the lab.

Each scan set is a named list of servers scanned together:

- ``msb/<file>``               every ``tools/snapshots/msb/*.json`` (an original beside its attack copy)
- ``mcpsecbench``              its servers side by side in one scan
- ``mcp-guardbench``           all its servers in one scan, and ``mcp-guardbench/<server>`` one per server
- ``registry``                 the docker registry's servers in one scan, and ``registry/<server>`` one each
- ``corpora``                  every row of the four tool corpora in one large scan (servers prefixed with
                               their corpus)
- ``lab``                      the lab servers' snapshots (``fixtures/lab_snapshots.json``) in one scan, and
                               ``lab/<scenario>/attack|benign`` each scenario's setup under its server names

``fixtures/lab_snapshots.json`` is every ``garrison.lab.catalog`` server snapshotted over stdio once, keyed by
catalog id, with the interpreter path in the launch command written as ``python``.

Used by ``tests/scanner/test_scan_equivalence.py`` and ``bench/bench_scan.py``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from garrison.model import ServerSnapshot, snapshots_from_json

__all__ = ["CORPUS_FILES", "LAB_SNAPSHOTS", "corpus_rows", "corpus_servers", "lab_sets", "scan_sets"]

CORPUS_FILES = ("msb", "mcp-guardbench", "mcpsecbench", "docker-mcp-registry")
LAB_SNAPSHOTS = Path(__file__).resolve().parent / "fixtures" / "lab_snapshots.json"


def corpus_rows(corpora: Path, name: str) -> list[dict[str, Any]]:
    text = (corpora / "tools" / f"{name}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def corpus_servers(rows: Iterable[dict[str, Any]], *, prefix: str = "") -> list[ServerSnapshot]:
    """One snapshot per ``server`` value, tools, prompts and resources in row order."""
    by_server: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        item: dict[str, Any] = {"name": row["name"], "description": row.get("description") or ""}
        server = by_server[prefix + row["server"]]
        if row["kind"] == "resource":
            item["uri"] = row.get("uri") or f"resource://{row['name']}"
            server["resources"].append(item)
            continue
        if row.get("inputSchema") is not None:
            item["inputSchema"] = row["inputSchema"]
        server["tools" if row["kind"] == "tool" else "prompts"].append(item)
    return snapshots_from_json({"servers": {k: dict(v) for k, v in by_server.items()}})


def lab_sets() -> dict[str, list[ServerSnapshot]]:
    from garrison.lab.catalog import by_id
    from garrison.lab.scenarios import SCENARIOS

    snapshots = {s.name: s for s in snapshots_from_json(json.loads(LAB_SNAPSHOTS.read_text(encoding="utf-8")))}
    out: dict[str, list[ServerSnapshot]] = {"lab": list(snapshots.values())}
    for scenario in SCENARIOS:
        for side, ids in (("attack", scenario.attack), ("benign", scenario.benign)):
            out[f"lab/{scenario.id}/{side}"] = [
                replace(snapshots[i], name=by_id(i).server_name) for i in ids
            ]
    return out


def scan_sets(corpora: Path) -> dict[str, list[ServerSnapshot]]:
    """Every scan set, by name (see the module docstring)."""
    out: dict[str, list[ServerSnapshot]] = {}
    for path in sorted((corpora / "tools" / "snapshots" / "msb").glob("*.json")):
        if not path.name.endswith(".labels.json"):
            out[f"msb/{path.stem}"] = snapshots_from_json(json.loads(path.read_text(encoding="utf-8")))
    out["mcpsecbench"] = corpus_servers(corpus_rows(corpora, "mcpsecbench"))
    for name, label in (("mcp-guardbench", "mcp-guardbench"), ("docker-mcp-registry", "registry")):
        servers = corpus_servers(corpus_rows(corpora, name))
        out[label] = servers
        out.update((f"{label}/{s.name}", [s]) for s in servers)
    out["corpora"] = [s for name in CORPUS_FILES for s in corpus_servers(corpus_rows(corpora, name),
                                                                         prefix=f"{name}:")]
    out.update(lab_sets())
    return out
