"""OTRF endpoint case study: do the rules raise the right alerts on labelled attack telemetry, and stay quiet
on the background recorded during the same run?

Usage::

    python eval/endpoint.py [--corpora ../shared/corpora] [--sigma] [--json]

``--sigma`` adds the SigmaHQ rules of the corpora to the built-in pack. A positive counts as detected when
at least one alert on it names the labelled technique (or a sub-technique of it). Lines that share the
attacking process (``related_line_numbers``) are reported apart from the background.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from garrison.detect import Engine
from garrison.detect.compiler import CompiledRule
from garrison.events.reader import read_events
from garrison.events.rulefiles import builtin_rules_dir, load_rule_paths

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"


@dataclass
class DatasetResult:
    name: str
    technique: str
    unit: str
    positives: int = 0
    detected: int = 0
    wrong_technique: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    related: int = 0
    related_alerted: int = 0
    background: int = 0
    background_alerted: int = 0
    background_rules: Counter[str] = field(default_factory=Counter)
    background_lines: list[int] = field(default_factory=list)
    read_problems: int = 0

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["background_rules"] = dict(self.background_rules)
        return out


def _right(technique: str, found: set[str]) -> bool:
    return any(t == technique or t.startswith(technique + ".") for t in found)


def _windows(engine: Engine, events_path: Path, labels: dict[str, Any]) -> DatasetResult:
    read = read_events(events_path)
    result = DatasetResult(labels["dataset"], labels["technique"], "line", read_problems=len(read.problems))
    alerts: dict[int, list[CompiledRule]] = {}
    for event in read.events:
        line = int(str(event.id).rsplit(":", 1)[1])
        alerts.setdefault(line, []).extend(engine.match(event))
    positives = set(labels["positive_line_numbers"])
    related = set(labels.get("related_line_numbers", [])) - positives
    total = len(events_path.read_text(encoding="utf-8").splitlines())
    for line in range(1, total + 1):
        hits = alerts.get(line, [])
        techniques = {t for c in hits for t in c.rule.techniques}
        if line in positives:
            result.positives += 1
            if _right(result.technique, techniques):
                result.detected += 1
            elif hits:
                result.wrong_technique.append(f"{line}: {sorted(techniques)}")
            else:
                result.missed.append(str(line))
        elif line in related:
            result.related += 1
            result.related_alerted += bool(hits)
        else:
            result.background += 1
            if hits:
                result.background_alerted += 1
                result.background_lines.append(line)
                result.background_rules.update(c.rule.title for c in hits)
    return result


def _linux(engine: Engine, log_path: Path, labels: dict[str, Any]) -> DatasetResult:
    read = read_events(log_path)
    result = DatasetResult(labels["dataset"], labels["technique"], "audit event", read_problems=len(read.problems))
    by_serial: dict[str, set[str]] = {}
    for event in read.events:
        serial = event.links.get("audit_serial", "")
        found = by_serial.setdefault(serial, set())
        for compiled in engine.match(event):
            found.update(compiled.rule.techniques)
    for serial in (str(s) for s in labels["positive_serials"]):
        result.positives += 1
        found = by_serial.get(serial, set())
        if _right(result.technique, found):
            result.detected += 1
        elif found:
            result.wrong_technique.append(f"{serial}: {sorted(found)}")
        else:
            result.missed.append(serial)
    return result


def evaluate(corpora: Path, *, sigma: bool) -> list[DatasetResult]:
    paths = [builtin_rules_dir()] + ([corpora / "sigma" / "rules"] if sigma else [])
    load = load_rule_paths(paths)
    engine = Engine(load.rules)
    otrf = corpora / "endpoint" / "otrf"
    results = []
    for labels_path in sorted(otrf.glob("*.labels.json")):
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
        results.append(_windows(engine, otrf / labels["events_file"], labels))
    for labels_path in sorted((otrf / "linux").glob("*.labels.json")):
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
        results.append(_linux(engine, otrf / "linux" / labels["raw_file"], labels))
    return results


def render(results: Sequence[DatasetResult], title: str) -> str:
    head = ("dataset", "technique", "detected", "related alerted", "background alerted", "background rules")
    rows = [head] + [(
        r.name, r.technique, f"{r.detected}/{r.positives} {r.unit}s",
        f"{r.related_alerted}/{r.related}" if r.unit == "line" else "-",
        f"{r.background_alerted}/{r.background}" if r.unit == "line" else "-",
        ", ".join(f"{k} ({v})" for k, v in r.background_rules.most_common()) or "-",
    ) for r in results]
    lines = [f"## {title}", ""]
    for i, row in enumerate(rows):
        lines.append("| " + " | ".join(row) + " |")
        if i == 0:
            lines.append("|" + "|".join("---" for _ in row) + "|")
    noisy = [(r.name, r.background_lines) for r in results if r.background_lines]
    if noisy:
        lines += ["", "Background lines with alerts:"] + [f"- {name}: lines {', '.join(map(str, found))}"
                                                          for name, found in noisy]
    misses = [(r.name, m) for r in results for m in r.missed + r.wrong_technique]
    if misses:
        lines += ["", "Missed or wrong technique:"] + [f"- {name}: {m}" for name, m in misses]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--sigma", action="store_true", help="also load the SigmaHQ rules of the corpora")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if not (args.corpora / "endpoint" / "otrf").is_dir():
        print(f"corpora not found at {args.corpora}", file=sys.stderr)
        return 2
    results = evaluate(args.corpora, sigma=args.sigma)
    if args.json:
        print(json.dumps([r.to_json() for r in results], indent=2))
    else:
        title = "built-in pack + SigmaHQ rules" if args.sigma else "built-in pack"
        print(render(results, title))
    return 0


if __name__ == "__main__":
    sys.exit(main())
