"""Alert priority: a deterministic 0–100 score with the reasons that make it up (pure).

::

    rule level        info 5 · low 15 · medium 30 · high 45 · critical 60
    tactic            credential access, exfiltration, impact +15; persistence, privilege escalation,
                      lateral movement, command and control +10; others +3 (the heaviest counts, +3 per other)
    reach             ran as root/SYSTEM +10; touched a secret +10, a persistence place +8, an MCP client
                      config +8; connected to a public address +8
    origin            the chain started from an MCP tool call +10
    chain length      +2 per process beyond the first, up to +8

The score is capped at 100 and banded: ``critical`` ≥ 80, ``high`` ≥ 60, ``medium`` ≥ 35, else ``low``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from garrison.detect.attack import AttackData, load_attack
from garrison.detect.engine import Alert
from garrison.detect.storyline import Storyline
from garrison.model import Severity
from garrison.sensors.paths import SensitivePath, load_sensitive_paths

__all__ = ["LEVEL_POINTS", "TACTIC_POINTS", "Priority", "Reason", "band", "prioritize", "sensitive_kind"]

LEVEL_POINTS: Mapping[Severity, int] = {Severity.INFO: 5, Severity.LOW: 15, Severity.MEDIUM: 30,
                                        Severity.HIGH: 45, Severity.CRITICAL: 60}
TACTIC_POINTS: Mapping[str, int] = {
    "credential-access": 15, "exfiltration": 15, "impact": 15,
    "persistence": 10, "privilege-escalation": 10, "lateral-movement": 10, "command-and-control": 10,
}
OTHER_TACTIC_POINTS = 3
ROOT_POINTS = 10
PATH_POINTS: Mapping[str, int] = {"secret": 10, "persistence": 8, "client_config": 8}
EGRESS_POINTS = 8
TOOL_CALL_POINTS = 10
STEP_POINTS = 2
MAX_STEP_POINTS = 8
BANDS: tuple[tuple[int, str], ...] = ((80, "critical"), (60, "high"), (35, "medium"), (0, "low"))
_ROOT_USERS = frozenset({"root", "0", "system", "nt authority\\system", "administrator"})


@dataclass(frozen=True, slots=True)
class Reason:
    points: int
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"points": self.points, "why": self.why}


@dataclass(frozen=True, slots=True)
class Priority:
    score: int
    level: str
    reasons: tuple[Reason, ...]

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "level": self.level, "reasons": [r.to_json() for r in self.reasons]}


def band(score: int) -> str:
    return next(name for floor, name in BANDS if score >= floor)


def sensitive_kind(path: str, entries: tuple[SensitivePath, ...]) -> SensitivePath | None:
    """The sensitive-path entry covering ``path``. ``~/`` entries match under any home directory."""
    norm = path.replace("\\", "/")
    best: SensitivePath | None = None
    for entry in entries:
        if entry.path.startswith("~/"):
            tail = "/" + entry.path[2:]
            hit = norm.endswith(tail) or (tail + "/") in norm
        else:
            hit = norm == entry.path or norm.startswith(entry.path + "/")
        if hit and (best is None or len(entry.path) > len(best.path)):
            best = entry
    return best


def _public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address not in ("localhost", "") and not address.endswith(".local")
    return ip.is_global


def prioritize(alert: Alert, storyline: Storyline | None = None, *, attack: AttackData | None = None,
               sensitive: tuple[SensitivePath, ...] | None = None) -> Priority:
    """Score ``alert``; with its ``storyline``, also by what the chain reached and where it started."""
    table = attack if attack is not None else load_attack()
    entries = sensitive if sensitive is not None else load_sensitive_paths()
    reasons = [Reason(LEVEL_POINTS[alert.severity], f"rule level {alert.severity.label}")]
    weighted = sorted(((TACTIC_POINTS.get(t, OTHER_TACTIC_POINTS), t) for t in alert.tactics), reverse=True)
    for i, (points, tactic) in enumerate(weighted):
        name = table.tactics.get(tactic, ("", tactic))[1]
        reasons.append(Reason(points if i == 0 else OTHER_TACTIC_POINTS, f"tactic {name}"))
    if storyline is not None:
        reasons.extend(_reach(storyline, entries))
    score = min(100, sum(r.points for r in reasons))
    return Priority(score, band(score), tuple(reasons))


def _reach(storyline: Storyline, entries: tuple[SensitivePath, ...]) -> list[Reason]:
    out: list[Reason] = []
    processes = storyline.of_kind("process")
    users = sorted({str(p.attrs["User"]) for p in processes if p.attrs.get("User") is not None})
    root = next((u for u in users if u.lower() in _ROOT_USERS), None)
    if root is not None:
        out.append(Reason(ROOT_POINTS, f"ran as {root}"))
    kinds: dict[str, str] = {}
    for node in storyline.of_kind("file"):
        entry = sensitive_kind(node.label, entries)
        if entry is not None and entry.kind not in kinds:
            kinds[entry.kind] = node.label
    out.extend(Reason(PATH_POINTS[kind], f"touched {kind.replace('_', ' ')} {kinds[kind]}")
               for kind in ("secret", "persistence", "client_config") if kind in kinds)
    egress = next((n for n in storyline.of_kind("connection")
                   if _public(str(n.attrs.get("DestinationIp") or n.attrs.get("DestinationHostname") or ""))),
                  None)
    if egress is not None:
        out.append(Reason(EGRESS_POINTS, f"connected out to {egress.label}"))
    call = storyline.node(storyline.call) if storyline.call else None
    if call is not None:
        out.append(Reason(TOOL_CALL_POINTS, f"started from MCP tool call {call.label} on "
                          f"{call.attrs.get('server', '?')}"))
    steps = min(MAX_STEP_POINTS, STEP_POINTS * max(0, len(processes) - 1))
    if steps:
        out.append(Reason(steps, f"{len(processes)} processes in the chain"))
    return out
