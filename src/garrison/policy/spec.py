"""The compiled policy: frozen values built by :mod:`garrison.policy.parse` and read by the engine.

Every part keeps ``where`` (``file:line``) so a decision can name the line a user must edit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from garrison.analysis.capabilities import Capability
from garrison.policy.patterns import HostPattern, NameMatch, PathPattern

__all__ = [
    "ACTIONS",
    "RANK",
    "SINKS",
    "SOURCES",
    "Action",
    "ArgConstraint",
    "DomainRule",
    "FlowPolicy",
    "IdentitySection",
    "Limits",
    "OutputGuard",
    "PathRule",
    "PolicySpec",
    "RateLimit",
    "Rule",
    "ServerSection",
    "ServerSettings",
    "UnpinnedMode",
]

Action = Literal["allow", "ask", "deny"]
ACTIONS: tuple[Action, ...] = ("allow", "ask", "deny")
RANK: Mapping[str, int] = {"allow": 0, "ask": 1, "deny": 2}
UnpinnedMode = Literal["pin_on_first_use", "block"]
OutputGuard = Literal["flag", "redact", "block"]
ArgumentGuard = Literal["block", "flag"]
RateAlgorithm = Literal["sliding_window", "token_bucket"]
RateKey = Literal["server", "tool", "identity"]

SOURCES: tuple[Capability, ...] = (Capability.READS_PRIVATE_DATA, Capability.INGESTS_UNTRUSTED_CONTENT)
"""Capabilities that taint a session once a tool having them has been called."""
SINKS: tuple[Capability, ...] = (Capability.SENDS_DATA_OUT, Capability.EXECUTES_CODE, Capability.DESTRUCTIVE)
"""Capabilities that ``flow`` rules may gate after a session is tainted."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_argument_bytes: int = 1_048_576
    max_total_bytes: int = 4_194_304
    max_depth: int = 32
    max_regex_chars: int = 100_000
    where: str = "<defaults>"


@dataclass(frozen=True, slots=True)
class PathRule:
    allow: tuple[PathPattern, ...] = ()
    deny: tuple[PathPattern, ...] = ()


@dataclass(frozen=True, slots=True)
class DomainRule:
    allow: tuple[HostPattern, ...] = ()
    deny: tuple[HostPattern, ...] = ()
    schemes: frozenset[str] = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True)
class ArgConstraint:
    """Checks on the top-level arguments whose names match ``selector``."""

    selector: NameMatch
    where: str
    paths: PathRule | None = None
    domains: DomainRule | None = None
    must_match: re.Pattern[str] | None = None
    must_not_match: re.Pattern[str] | None = None
    max_bytes: int | None = None
    required: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """``action`` ``None`` means the rule only checks arguments and does not vote on the call itself."""

    name: str
    where: str
    servers: NameMatch
    tools: NameMatch
    identities: NameMatch | None = None
    action: Action | None = None
    reason: str | None = None
    arguments: tuple[ArgConstraint, ...] = ()
    max_total_bytes: int | None = None
    on_violation: Action = "deny"
    flow_exempt: bool = False
    """Calls this rule matches skip the ``flow`` step (their argument checks still apply)."""

    def applies(self, server: str, tool: str, identity: str) -> bool:
        return (self.servers.matches(server) and self.tools.matches(tool)
                and (self.identities is None or self.identities.matches(identity)))


@dataclass(frozen=True, slots=True)
class RateLimit:
    name: str
    where: str
    servers: NameMatch
    tools: NameMatch
    calls: int
    window: float
    identities: NameMatch | None = None
    algorithm: RateAlgorithm = "sliding_window"
    burst: int | None = None
    per: tuple[RateKey, ...] = ("server", "tool", "identity")
    action: Action = "deny"

    def applies(self, server: str, tool: str, identity: str) -> bool:
        return (self.servers.matches(server) and self.tools.matches(tool)
                and (self.identities is None or self.identities.matches(identity)))


def _default_flow() -> Mapping[Capability, Action]:
    return {Capability.SENDS_DATA_OUT: "ask", Capability.EXECUTES_CODE: "ask", Capability.DESTRUCTIVE: "allow"}


@dataclass(frozen=True, slots=True)
class FlowPolicy:
    """What a call to a sink needs once the session has touched a source."""

    after_private_data: Mapping[Capability, Action] = field(default_factory=_default_flow)
    after_untrusted_content: Mapping[Capability, Action] = field(default_factory=_default_flow)
    unknown_tools: Action = "ask"
    where: str = "<defaults>"

    def after(self, source: Capability) -> Mapping[Capability, Action]:
        if source is Capability.READS_PRIVATE_DATA:
            return self.after_private_data
        return self.after_untrusted_content


@dataclass(frozen=True, slots=True)
class IdentitySection:
    name: str
    where: str
    match: NameMatch
    default: Action | None = None
    default_where: str = "<defaults>"
    flow: FlowPolicy | None = None


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Settings the relay reads per server: what to do with an unpinned server and guard actions."""

    unpinned: UnpinnedMode = "block"
    guard_outputs: OutputGuard = "redact"
    guard_argument_secrets: ArgumentGuard = "block"


@dataclass(frozen=True, slots=True)
class ServerSection:
    match: NameMatch
    where: str
    unpinned: UnpinnedMode | None = None
    guard_outputs: OutputGuard | None = None
    guard_argument_secrets: ArgumentGuard | None = None


@dataclass(frozen=True, slots=True)
class PolicySpec:
    source: str
    version: int = 1
    default: Action = "allow"
    default_where: str = "<defaults>"
    limits: Limits = field(default_factory=Limits)
    flow: FlowPolicy = field(default_factory=FlowPolicy)
    settings: ServerSettings = field(default_factory=ServerSettings)
    rules: tuple[Rule, ...] = ()
    rate_limits: tuple[RateLimit, ...] = ()
    identities: tuple[IdentitySection, ...] = ()
    servers: tuple[ServerSection, ...] = ()
