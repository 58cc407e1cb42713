"""Toxic flows: tool combinations across the configured servers that open an attack path (G6xx).

Each tool is labelled with :mod:`garrison.analysis.capabilities`. A flow exists when the scan, taken as a
whole, offers every role of a dangerous combination:

- ``G601 lethal-trifecta``  untrusted content in, private data read, data sent out: a prompt injection in the
  content can make the model read private data and send it away.
- ``G602 untrusted-to-code`` untrusted content in and code execution: injected text becomes commands.
- ``G603 untrusted-to-destructive`` untrusted content in and a destructive tool.

One finding per flow class per scan (not per tool triple). The finding targets the combination, not a tool:
``target="flow:<slug>"``, ``server`` the sink's server when every sink sits on one server, else ``"*"``.
``related`` names every tool involved (``server/tool:name``), sources first. Severity grows with how direct
the path is: a sink that sends to a destination the caller chooses (a recipient, a URL) makes the trifecta
high; a sink with a fixed destination makes it medium.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from garrison.analysis.capabilities import Capability, CapabilityReason, explain_tool
from garrison.model import CheckInfo, Evidence, Finding, ServerSnapshot, Severity
from garrison.scanner.checks.interface import ScanContext

__all__ = ["CHECK", "ToxicFlowsCheck"]

MAX_NAMED = 5
"""Tools named per role in a message (all of them are in ``related``)."""

TRIFECTA = CheckInfo(
    id="G601", slug="lethal-trifecta",
    title="Untrusted content, private data and an outbound channel are reachable together",
    severity=Severity.HIGH,
    remediation="Split these tools across separate agent sessions, remove one leg (the outbound tool is "
    "usually the easiest), or require confirmation for outbound calls (garrison gateway policy).",
    techniques=("AML.T0051.001", "AML.T0057", "T1567"),
)
UNTRUSTED_TO_CODE = CheckInfo(
    id="G602", slug="untrusted-to-code",
    title="Untrusted content can reach a code-execution tool",
    severity=Severity.HIGH,
    remediation="Do not combine content-fetching tools with command execution in one session, or require "
    "confirmation for every execution.",
    techniques=("AML.T0051.001", "T1059"),
)
UNTRUSTED_TO_DESTRUCTIVE = CheckInfo(
    id="G603", slug="untrusted-to-destructive",
    title="Untrusted content can reach a destructive tool",
    severity=Severity.MEDIUM,
    remediation="Require confirmation for destructive tools when content-fetching tools are in the same "
    "session.",
    techniques=("AML.T0051.001", "T1485"),
)

_FREE_DESTINATION = ("caller-chosen destination", "URL plus a body")


@dataclass(frozen=True, slots=True)
class _Tool:
    server: str
    name: str
    ref: str
    reasons: tuple[CapabilityReason, ...]
    capabilities: frozenset[Capability] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "capabilities", frozenset(r.capability for r in self.reasons))

    @property
    def related(self) -> str:
        return f"{self.server}/{self.ref}"

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def why(self, capability: Capability) -> str:
        for r in self.reasons:
            if r.capability == capability:
                return f"{r.source}: {r.detail}"
        return ""

    @property
    def free_destination(self) -> bool:
        return any(r.capability == Capability.SENDS_DATA_OUT and r.detail in _FREE_DESTINATION
                   for r in self.reasons)


def _label(servers: Sequence[ServerSnapshot]) -> list[_Tool]:
    return [_Tool(s.name, d.name, d.ref, explain_tool(d)) for s in servers for d in s.tools]


def _names(tools: Sequence[_Tool]) -> str:
    shown = ", ".join(f"{t.server}/{t.name}" for t in tools[:MAX_NAMED])
    return shown + (f" and {len(tools) - MAX_NAMED} more" if len(tools) > MAX_NAMED else "")


def _sink_server(sinks: Sequence[_Tool]) -> str:
    servers = {t.server for t in sinks}
    return servers.pop() if len(servers) == 1 else "*"


def _related(*groups: Sequence[_Tool]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for t in group:
            seen.setdefault(t.related, None)
    return tuple(seen)


def _evidence(tools: Sequence[_Tool], capability: Capability) -> str:
    return "; ".join(f"{t.server}/{t.name} ({t.why(capability)})" for t in tools[:MAX_NAMED])


class ToxicFlowsCheck:
    infos: ClassVar[tuple[CheckInfo, ...]] = (TRIFECTA, UNTRUSTED_TO_CODE, UNTRUSTED_TO_DESTRUCTIVE)

    def run(self, ctx: ScanContext) -> Iterable[Finding]:
        tools = _label(ctx.servers)
        sources = [t for t in tools if t.has(Capability.INGESTS_UNTRUSTED_CONTENT)]
        if not sources:
            return
        private = [t for t in tools if t.has(Capability.READS_PRIVATE_DATA)]
        sinks = [t for t in tools if t.has(Capability.SENDS_DATA_OUT)]
        code = [t for t in tools if t.has(Capability.EXECUTES_CODE)]
        destructive = [t for t in tools if t.has(Capability.DESTRUCTIVE)]
        if private and sinks:
            free = [t for t in sinks if t.free_destination]
            ordered = free + [t for t in sinks if not t.free_destination]
            yield TRIFECTA.finding(
                server=_sink_server(sinks), target=f"flow:{TRIFECTA.slug}", location="flow",
                message=f"untrusted content from {_names(sources)} can steer the model to read private data "
                f"with {_names(private)} and send it out with {_names(ordered)}",
                evidence=Evidence(f"sources: {_evidence(sources, Capability.INGESTS_UNTRUSTED_CONTENT)} | "
                                  f"private: {_evidence(private, Capability.READS_PRIVATE_DATA)} | "
                                  f"sinks: {_evidence(ordered, Capability.SENDS_DATA_OUT)}"),
                severity=Severity.HIGH if free else Severity.MEDIUM,
                related=_related(sources, private, ordered),
            )
        if code:
            yield UNTRUSTED_TO_CODE.finding(
                server=_sink_server(code), target=f"flow:{UNTRUSTED_TO_CODE.slug}", location="flow",
                message=f"untrusted content from {_names(sources)} can reach code execution in "
                f"{_names(code)}",
                evidence=Evidence(f"sources: {_evidence(sources, Capability.INGESTS_UNTRUSTED_CONTENT)} | "
                                  f"execution: {_evidence(code, Capability.EXECUTES_CODE)}"),
                related=_related(sources, code),
            )
        if destructive:
            yield UNTRUSTED_TO_DESTRUCTIVE.finding(
                server=_sink_server(destructive), target=f"flow:{UNTRUSTED_TO_DESTRUCTIVE.slug}",
                location="flow",
                message=f"untrusted content from {_names(sources)} can reach destructive tools "
                f"{_names(destructive)}",
                evidence=Evidence(f"sources: {_evidence(sources, Capability.INGESTS_UNTRUSTED_CONTENT)} | "
                                  f"destructive: {_evidence(destructive, Capability.DESTRUCTIVE)}"),
                related=_related(sources, destructive),
            )


CHECK = ToxicFlowsCheck()
