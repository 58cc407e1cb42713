"""The policy engine: one call in, one decision out (pure; the clock and the session state are passed in).

Evaluation order for ``Policy.decide`` (``docs/policy.md`` has the full reference):

1. a policy that could not be loaded or evaluated denies everything, naming the problem;
2. ``limits``: arguments must be an object within the size and depth limits;
3. rules whose ``server``/``tool``/``identity`` globs match vote: ``deny`` beats ``ask`` beats ``allow``;
   with no vote the identity section's ``default`` or ``defaults.action`` decides;
4. argument checks of every matching rule (paths, domains, regexes, sizes);
5. data flow: after a session has read private data or taken in untrusted content, sinks need what ``flow``
   says;
6. rate limits.

The strongest answer wins (ties go to the earliest step). Only a call that is not denied is counted against
rate limits and adds its source capabilities to the session's flow labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from garrison.analysis.capabilities import Capability
from garrison.policy.arguments import check_argument, json_size
from garrison.policy.ratelimit import RateState
from garrison.policy.spec import (
    RANK,
    SINKS,
    SOURCES,
    Action,
    FlowPolicy,
    PolicySpec,
    RateLimit,
    Rule,
    ServerSettings,
)

__all__ = ["CallContext", "FlowState", "Policy", "PolicyDecision", "PolicyState"]

_PLAN_CACHE_SIZE = 4096
_SOURCE_TEXT = {Capability.READS_PRIVATE_DATA: "read private data",
                Capability.INGESTS_UNTRUSTED_CONTENT: "took in untrusted content"}
_SINK_TEXT = {Capability.SENDS_DATA_OUT: "sends data out", Capability.EXECUTES_CODE: "executes code",
              Capability.DESTRUCTIVE: "makes destructive changes"}
_VOTE_TEXT = {"allow": "is allowed by", "ask": "needs your approval under", "deny": "is denied by"}
_FLOW_KEY = {Capability.READS_PRIVATE_DATA: "after_private_data",
             Capability.INGESTS_UNTRUSTED_CONTENT: "after_untrusted_content"}


@dataclass(frozen=True, slots=True)
class CallContext:
    """One ``tools/call``. ``capabilities`` come from ``garrison.analysis.capabilities.label_tool`` on the
    tool's listed definition; ``None`` means the tool was never listed (treated as every capability)."""

    server: str
    tool: str
    arguments: Mapping[str, Any]
    identity: str | None = None
    capabilities: frozenset[Capability] | None = frozenset()


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """``rule`` names what decided (``rules.<name>``, ``defaults.action``, ``flow.after_private_data``,
    ``rate_limits.<name>``, ``limits.<key>``, ``policy``); ``where`` is the ``file:line`` to edit."""

    action: Action
    rule: str
    reason: str
    where: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "rule": self.rule, "reason": self.reason, "where": self.where}


@dataclass(slots=True)
class FlowState:
    """Source capabilities this session has touched, each with the ``server/tool`` that first brought it."""

    sources: dict[Capability, str] = field(default_factory=dict)


@dataclass(slots=True)
class PolicyState:
    """Everything ``decide`` remembers. One per session; ``rates`` may be shared between sessions."""

    flow: FlowState = field(default_factory=FlowState)
    rates: RateState = field(default_factory=RateState)


@dataclass(frozen=True, slots=True)
class _Plan:
    vote: PolicyDecision
    checking: tuple[Rule, ...]
    rates: tuple[RateLimit, ...]
    flow: FlowPolicy
    flow_exempt: bool


class Policy:
    """A loaded policy. ``home`` expands ``~`` in path arguments and ``cwd`` anchors relative ones."""

    def __init__(self, spec: PolicySpec, *, home: str, cwd: str, broken: str | None = None) -> None:
        self.spec = spec
        self.home = home.rstrip("/") or "/"
        self.cwd = cwd
        self.broken = broken
        self._plans: dict[tuple[str, str, str], _Plan] = {}
        self._rates_by_name = {r.name: r for r in spec.rate_limits}

    @classmethod
    def fail_closed(cls, reason: str, *, source: str = "garrison.yaml") -> Policy:
        """A policy that denies every call and hides every tool, saying ``reason``."""
        return cls(PolicySpec(source=source, default="deny"), home="/", cwd="/", broken=reason)

    # --- static questions ---

    def settings_for(self, server: str) -> ServerSettings:
        """Unpinned-server mode and guard actions for ``server`` (first matching ``servers`` entry per key)."""
        base = self.spec.settings
        unpinned, outputs, secrets = None, None, None
        for section in self.spec.servers:
            if section.match.matches(server):
                unpinned = unpinned or section.unpinned
                outputs = outputs or section.guard_outputs
                secrets = secrets or section.guard_argument_secrets
        return ServerSettings(unpinned=unpinned or base.unpinned, guard_outputs=outputs or base.guard_outputs,
                              guard_argument_secrets=secrets or base.guard_argument_secrets)

    def tool_visible(self, server: str, tool: str, identity: str | None = None) -> bool:
        """False when every call to the tool would be denied by rules or the default (hide it from lists)."""
        if self.broken is not None:
            return False
        try:
            return self._plan(server, tool, identity or "").vote.action != "deny"
        except Exception:  # fail closed: a tool the policy cannot judge is hidden
            return False

    # --- decisions ---

    def decide(self, call: CallContext, state: PolicyState, now: float) -> PolicyDecision:
        """Decide one call; update ``state`` (rate counters, flow labels) when it is not denied."""
        if self.broken is not None:
            return PolicyDecision("deny", "policy", f"the gateway policy cannot be used, so every call is refused: "
                                  f"{self.broken}. Fix {self.spec.source} and restart.", self.spec.source)
        try:
            return self._decide(call, state, now)
        except Exception as err:  # fail closed: an evaluation error refuses the call, naming the problem
            return PolicyDecision("deny", "policy", f"the gateway policy could not evaluate tool {call.tool!r} on "
                                  f"server {call.server!r} ({type(err).__name__}: {err}), so the call is refused. "
                                  f"Check {self.spec.source}.", self.spec.source)

    def _decide(self, call: CallContext, state: PolicyState, now: float) -> PolicyDecision:
        identity = call.identity or ""
        args = call.arguments
        if not isinstance(args, Mapping):
            return PolicyDecision("deny", "limits", f"arguments of tool {call.tool!r} must be a JSON object, "
                                  f"not {type(args).__name__}", self.spec.limits.where)
        plan = self._plan(call.server, call.tool, identity)
        if plan.vote.action == "deny":
            return plan.vote
        found = [plan.vote]
        for step in (self._limits(call, args, plan), self._arguments(call, args, plan),
                     self._flow(call, state, plan), self._rates(call, identity, state, now, plan)):
            if step is None:
                continue
            if step.action == "deny":
                return step
            found.append(step)
        decision = max(found, key=lambda d: RANK[d.action])
        for limit in plan.rates:
            state.rates.take(limit, state.rates.key(limit, call.server, call.tool, identity), now)
        caps = call.capabilities if call.capabilities is not None else frozenset(SOURCES)
        for source in SOURCES:
            if source in caps and source not in state.flow.sources:
                state.flow.sources[source] = f"{call.server}/{call.tool}"
        return decision

    def _plan(self, server: str, tool: str, identity: str) -> _Plan:
        key = (server, tool, identity)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        spec = self.spec
        matching = [r for r in spec.rules if r.applies(server, tool, identity)]
        voters = [r for r in matching if r.action is not None]
        vote: PolicyDecision
        if voters:
            rule = max(voters, key=lambda r: RANK[r.action or "allow"])
            vote = _rule_vote(rule, server, tool)
        else:
            sections = [s for s in spec.identities if s.match.matches(identity)]
            own = next((s for s in sections if s.default is not None), None)
            default: Action = own.default if own is not None and own.default is not None else spec.default
            where = own.default_where if own is not None else spec.default_where
            label = f"identities.{own.name}.default" if own is not None else "defaults.action"
            vote = _default_vote(default, label, where, server, tool)
        sections = [s for s in spec.identities if s.match.matches(identity)]
        flow = next((s.flow for s in sections if s.flow is not None), spec.flow)
        plan = _Plan(vote, tuple(r for r in matching if r.arguments or r.max_total_bytes is not None),
                     tuple(r for r in spec.rate_limits if r.applies(server, tool, identity)), flow,
                     any(r.flow_exempt for r in matching))
        if len(self._plans) >= _PLAN_CACHE_SIZE:
            self._plans.clear()
        self._plans[key] = plan
        return plan

    def _limits(self, call: CallContext, args: Mapping[str, Any], plan: _Plan) -> PolicyDecision | None:
        limits = self.spec.limits
        dumped = orjson.dumps(args)
        total = len(dumped)
        if total > limits.max_total_bytes:
            return PolicyDecision("deny", "limits.max_total_bytes", f"arguments of tool {call.tool!r} are {total} "
                                  f"bytes, over limits.max_total_bytes ({limits.max_total_bytes}) at {limits.where}",
                                  limits.where)
        if total > limits.max_argument_bytes:
            for name, value in args.items():
                size = json_size(value)
                if size > limits.max_argument_bytes:
                    return PolicyDecision("deny", "limits.max_argument_bytes", f"argument {name!r} of tool "
                                          f"{call.tool!r} is {size} bytes, over limits.max_argument_bytes "
                                          f"({limits.max_argument_bytes}) at {limits.where}", limits.where)
        nesting_bound = dumped.count(b"[") + dumped.count(b"{")  # ≥ the real depth; cheap to count
        if nesting_bound > limits.max_depth and _depth(args, limits.max_depth + 1) > limits.max_depth:
            return PolicyDecision("deny", "limits.max_depth", f"arguments of tool {call.tool!r} are nested deeper "
                                  f"than limits.max_depth ({limits.max_depth}) at {limits.where}", limits.where)
        for rule in plan.checking:
            if rule.max_total_bytes is not None and total > rule.max_total_bytes:
                return _violation(rule, f"arguments are {total} bytes, over max_total_bytes ({rule.max_total_bytes})")
        return None

    def _arguments(self, call: CallContext, args: Mapping[str, Any], plan: _Plan) -> PolicyDecision | None:
        asked: PolicyDecision | None = None
        for rule in plan.checking:
            for c in rule.arguments:
                names = [n for n in args if c.selector.matches(n)]
                problem = None
                if c.required and not names:
                    problem = f"argument {', '.join(c.selector.patterns)!r} is required"
                for name in names:
                    problem = problem or check_argument(c, name, args[name], self.spec.limits,
                                                        home=self.home, cwd=self.cwd)
                if problem is None:
                    continue
                decision = _violation(rule, problem)
                if decision.action == "deny":
                    return decision
                asked = asked or decision
        return asked

    def _flow(self, call: CallContext, state: PolicyState, plan: _Plan) -> PolicyDecision | None:
        if not state.flow.sources or plan.flow_exempt:
            return None
        caps = call.capabilities
        found: PolicyDecision | None = None
        for source, origin in state.flow.sources.items():
            key = _FLOW_KEY[source]
            if caps is None:
                pairs: list[tuple[str, Action]] = [("flow.unknown_tools", plan.flow.unknown_tools)]
            else:
                table = plan.flow.after(source)
                pairs = [(f"flow.{key}.{sink}", table[sink]) for sink in SINKS if sink in caps]
            for label, action in pairs:
                if action == "allow" or (found is not None and RANK[found.action] >= RANK[action]):
                    continue
                what = ("was never listed by the server" if caps is None
                        else " and ".join(_SINK_TEXT[s] for s in SINKS if s in caps))
                verb = "needs your approval" if action == "ask" else "is refused"
                found = PolicyDecision(action, label, (
                    f"this session already {_SOURCE_TEXT[source]} (via {origin}), and tool {call.tool!r} on server "
                    f"{call.server!r} {what}, so the call {verb} under policy {label}. To change this, edit 'flow' "
                    f"at {plan.flow.where}, or give a rule for this tool 'flow_exempt: true' (with argument "
                    f"checks that keep it safe)."), plan.flow.where)
        return found

    def _rates(self, call: CallContext, identity: str, state: PolicyState, now: float,
               plan: _Plan) -> PolicyDecision | None:
        found: PolicyDecision | None = None
        for limit in plan.rates:
            key = state.rates.key(limit, call.server, call.tool, identity)
            if state.rates.allows(limit, key, now, self._rates_by_name):
                continue
            per = ", ".join(f"{p} {v!r}" for p, v in zip(limit.per, key[1:], strict=True)) or "in total"
            decision = PolicyDecision(limit.action, f"rate_limits.{limit.name}", (
                f"rate limit {limit.name!r} ({limit.calls} calls per {limit.window:g} s for {per}) is used up for "
                f"tool {call.tool!r}. Wait, or edit rate limit {limit.name!r} at {limit.where}."), limit.where)
            if decision.action == "deny":
                return decision
            found = found or decision
        return found


def _rule_vote(rule: Rule, server: str, tool: str) -> PolicyDecision:
    because = f": {rule.reason}" if rule.reason else ""
    what = _VOTE_TEXT[rule.action or "allow"]
    tail = "" if rule.action == "allow" else f". To change this, edit rule {rule.name!r} at {rule.where}"
    return PolicyDecision(rule.action or "allow", f"rules.{rule.name}",
                          f"tool {tool!r} on server {server!r} {what} policy rule {rule.name!r}{because}{tail}.",
                          rule.where)


def _default_vote(action: Action, label: str, where: str, server: str, tool: str) -> PolicyDecision:
    if action == "allow":
        return PolicyDecision("allow", label, f"no policy rule matches tool {tool!r}; {label} is allow", where)
    verb = "is refused" if action == "deny" else "needs your approval"
    return PolicyDecision(action, label, f"no policy rule matches tool {tool!r} on server {server!r} and {label} is "
                          f"{action}, so the call {verb}. To allow it, add a rule with 'action: allow' for this "
                          f"tool, or change {label} at {where}.", where)


def _violation(rule: Rule, problem: str) -> PolicyDecision:
    verb = "refuses" if rule.on_violation == "deny" else "asks for approval of"
    return PolicyDecision(rule.on_violation, f"rules.{rule.name}",
                          f"policy rule {rule.name!r} {verb} this call: {problem}. To change this, edit rule "
                          f"{rule.name!r} at {rule.where}.", rule.where)


def _depth(value: Any, cap: int, depth: int = 0) -> int:
    if depth >= cap:
        return depth
    if isinstance(value, dict | Mapping):
        return max((_depth(v, cap, depth + 1) for v in value.values()), default=depth + 1)
    if isinstance(value, list | tuple):
        return max((_depth(v, cap, depth + 1) for v in value), default=depth + 1)
    return depth
