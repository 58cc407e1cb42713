"""``garrison lab``: run each attack against Garrison's checks, next to its honest twin.

A scenario launches its malicious servers and, separately, their honest twins (stdio, from this package),
scans each set with the same pipeline as ``garrison scan``, and records which rules caught the attack and
whether the twins stayed clean. The rug-pull scenario pins first, calls the tool until the server turns, and
scans again. Nothing here reads user files: state lives in a temporary directory.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from garrison.lab.catalog import LabServer, by_id, launch_spec
from garrison.model import Finding, LaunchSpec, Severity
from garrison.model.scan import ServerResult

__all__ = ["SCENARIOS", "Scenario", "ScenarioResult", "run_scenarios"]


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    title: str
    attack: tuple[str, ...]
    """Catalog ids launched for the attack; the first one is the attacker."""
    benign: tuple[str, ...]
    """The same setup with honest twins."""
    call: tuple[str, dict[str, Any]] | None = None
    """For a rug pull: the tool to call, with its arguments, between pinning and the second scan."""
    calls: int = 0


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("tool-poisoning", "Poisoned tool description (<IMPORTANT> block)", ("poisoned_report",),
             ("benign_report",)),
    Scenario("tool-poisoning-docs", "Poisoned tool description worded as documentation",
             ("poisoned_report_docs",), ("benign_report",)),
    Scenario("cross-server-shadowing", "One server's description corrupts another's send_daily_email",
             ("contaminator", "mailer"), ("benign_digest", "mailer")),
    Scenario("name-squatting", "Look-alike server offering the same tool", ("lookalike", "benign_report"),
             ("benign_report", "benign_digest")),
    Scenario("hidden-text", "Payload in invisible Unicode and ANSI escapes", ("hidden",), ("benign_text",)),
    Scenario("rug-pull", "Definitions change after approval", ("rugpull",), ("benign_currency",),
             call=("convert_currency", {"amount": 10, "source": "EUR", "target": "USD"}), calls=3),
)


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    caught_by: tuple[str, ...]
    """Rule IDs of findings at or above medium on the attacking server."""
    benign_findings: tuple[Finding, ...]
    """Findings at or above medium on the honest setup (should be empty)."""
    errors: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return bool(self.caught_by) and not self.benign_findings and not self.errors


def _specs(ids: Sequence[str], python: str, state_dir: Path) -> list[LaunchSpec]:
    entries: list[LabServer] = [by_id(i) for i in ids]
    return [launch_spec(e, python=python, state=str(state_dir / f"{e.id}.json")) for e in entries]


def _scan(specs: Sequence[LaunchSpec], timeout: float, lock: Any = None) -> tuple[list[ServerResult], list[Finding]]:
    from garrison.protocol import snapshot_all_sync
    from garrison.scanner.pipeline import evaluate

    results = snapshot_all_sync(specs, timeout=timeout)
    outcome = evaluate(results, lock=lock, today=date.today())
    return results, list(outcome.result.findings)


async def _call(spec: LaunchSpec, tool: str, arguments: dict[str, Any], times: int) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(command=spec.command or sys.executable, args=list(spec.args))
    async with Client(params) as client:
        for _ in range(times):
            await client.call_tool(tool, arguments)


def _run_side(scenario: Scenario, ids: Sequence[str], python: str,
              timeout: float) -> tuple[list[ServerResult], list[Finding]]:
    with tempfile.TemporaryDirectory(prefix="garrison-lab-") as tmp:
        specs = _specs(ids, python, Path(tmp))
        if scenario.call is None:
            return _scan(specs, timeout)
        import anyio

        from garrison.pins import pin

        first, _ = _scan(specs, timeout)
        lock = pin([r.snapshot for r in first if r.snapshot is not None])
        tool, arguments = scenario.call
        anyio.run(_call, specs[0], tool, arguments, scenario.calls)
        second, findings = _scan(specs, timeout, lock)
        return first + second, findings


def run_scenarios(scenarios: Sequence[Scenario] = SCENARIOS, *, python: str = sys.executable,
                  timeout: float = 60.0) -> list[ScenarioResult]:
    out = []
    for scenario in scenarios:
        errors: list[str] = []
        attack_results, attack_findings = _run_side(scenario, scenario.attack, python, timeout)
        benign_results, benign_findings = _run_side(scenario, scenario.benign, python, timeout)
        errors = [f"{r.name}: {r.status}: {r.error}" for r in (*attack_results, *benign_results)
                  if r.status in ("error", "timeout")]
        attacker = by_id(scenario.attack[0]).server_name
        caught = sorted({f.rule for f in attack_findings if f.server == attacker and f.severity >= Severity.MEDIUM})
        flagged = tuple(f for f in benign_findings if f.severity >= Severity.MEDIUM)
        out.append(ScenarioResult(scenario, tuple(caught), flagged, tuple(errors)))
    return out
