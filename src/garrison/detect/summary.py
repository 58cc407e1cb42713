"""Plain-language alert summaries, built from templates over the storyline (pure, offline).

One short paragraph: what happened (the rule title and the alert's events), where it came from (client,
server, tool call, the process chain), which ATT&CK techniques by name, how urgent, and what to do next.
"""

from __future__ import annotations

from collections.abc import Sequence

from garrison.detect.attack import AttackData, load_attack
from garrison.detect.engine import Alert
from garrison.detect.priority import Priority
from garrison.detect.storyline import Node, Storyline

__all__ = ["MAX_LIST", "summarize"]

MAX_LIST = 4
"""Items named per list (files, techniques); the rest are counted."""
_ADVICE = {
    "credential-access": "rotate the credentials it could read",
    "persistence": "remove what it installed to run again",
    "exfiltration": "check what left the machine and block the destination",
    "impact": "check the affected data and restore it from backup",
    "command-and-control": "block the remote address",
    "privilege-escalation": "check for new privileges or setuid files",
    "lateral-movement": "check the other hosts it reached",
}


def _listing(items: Sequence[str]) -> str:
    shown = list(items[:MAX_LIST])
    if len(items) > MAX_LIST:
        shown.append(f"{len(items) - MAX_LIST} more")
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _chain(storyline: Storyline) -> list[Node]:
    """The processes from the server's own down to the first alerted one, following ``spawned`` edges."""
    index = {n.id: n for n in storyline.nodes}
    parent = {e.target: e.source for e in storyline.edges if e.kind == "spawned"}
    processes = sorted(storyline.of_kind("process"), key=lambda n: (n.time or 0.0, n.id))
    start = next((n for n in processes if n.alerted), None)
    if start is None:
        return []
    chain = [start]
    while chain[-1].id in parent and len(chain) <= len(index):
        above = index.get(parent[chain[-1].id])
        if above is None or above.kind != "process" or above in chain:
            break
        chain.append(above)
    launched = [index[e.target] for e in storyline.edges if e.kind == "launched" and e.target in index]
    if launched and launched[0] not in chain:
        chain.append(launched[0])
    return list(reversed(chain))


def _techniques(alert: Alert, attack: AttackData) -> list[str]:
    out = []
    for technique in alert.techniques:
        name = attack.technique_name(technique)
        out.append(f"{name} ({technique})" if name else technique)
    return out


def summarize(alert: Alert, storyline: Storyline | None = None, priority: Priority | None = None, *,
              attack: AttackData | None = None) -> str:
    """A paragraph a person can act on."""
    table = attack if attack is not None else load_attack()
    parts = [f"{alert.title} ({alert.severity.label})."]
    if storyline is not None:
        call = storyline.node(storyline.call) if storyline.call else None
        if call is not None:
            origin = f"It started from the MCP tool call {call.label} on server {call.attrs.get('server', '?')}"
            client = call.attrs.get("client")
            parts.append(origin + (f", requested by client {client}." if client else "."))
        else:
            servers = [n.label for n in storyline.of_kind("server")]
            if servers:
                parts.append(f"It happened in the process tree of MCP server {_listing(servers)}.")
        chain = _chain(storyline)
        if chain:
            parts.append(f"Process chain: {' → '.join(n.label for n in chain)}.")
        files = [n.label for n in storyline.of_kind("file") if n.alerted] or [
            n.label for n in storyline.of_kind("file")]
        if files:
            parts.append(f"Files involved: {_listing(files)}.")
        remote = [n.label for n in storyline.of_kind("connection")]
        if remote:
            parts.append(f"It connected to {_listing(remote)}.")
    techniques = _techniques(alert, table)
    if techniques:
        parts.append(f"ATT&CK: {_listing(techniques)}.")
    if priority is not None:
        parts.append(f"Priority {priority.level} ({priority.score}/100).")
    parts.append(_advice(alert, storyline))
    return " ".join(parts)


def _advice(alert: Alert, storyline: Storyline | None) -> str:
    steps: list[str] = []
    call = storyline.node(storyline.call) if storyline is not None and storyline.call else None
    if storyline is not None and storyline.of_kind("process"):
        steps.append("stop the process tree")
    if call is not None:
        steps.append(f"block tool {call.attrs.get('tool', '?')} or quarantine server "
                     f"{call.attrs.get('server', '?')} until it is reviewed")
    steps.extend(_ADVICE[t] for t in alert.tactics if t in _ADVICE and _ADVICE[t] not in steps)
    if not steps:
        steps.append("review the events and the rule's known false positives")
    return "What to do: " + _listing(steps) + "."
