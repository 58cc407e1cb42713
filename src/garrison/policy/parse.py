"""``garrison.yaml`` → :class:`~garrison.policy.spec.PolicySpec`: a strict schema, every error at ``file:line``.

Unknown keys, wrong types, bad globs, regexes that do not compile, duplicate rule names and unsupported
versions are all errors: a policy is used whole or not at all. ``docs/policy.md`` documents every key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from garrison.analysis.capabilities import Capability
from garrison.errors import PolicyError
from garrison.policy.fields import Fields, parse_bytes, parse_seconds
from garrison.policy.patterns import HostPattern, NameMatch, PathPattern
from garrison.policy.spec import (
    ACTIONS,
    SINKS,
    Action,
    ArgConstraint,
    ArgumentGuard,
    DomainRule,
    FlowPolicy,
    IdentitySection,
    Limits,
    OutputGuard,
    PathRule,
    PolicySpec,
    RateAlgorithm,
    RateKey,
    RateLimit,
    Rule,
    ServerSection,
    ServerSettings,
    UnpinnedMode,
)
from garrison.policy.yamltree import Node, parse_yaml

__all__ = ["SUPPORTED_VERSIONS", "compile_policy", "parse_policy"]

SUPPORTED_VERSIONS = (1,)
_TOP = ("version", "defaults", "limits", "flow", "rules", "rate_limits", "identities", "servers")
_MATCH_KEYS = ("server", "tool", "identity")
_RULE_KEYS = ("name", *_MATCH_KEYS, "action", "reason", "arguments", "max_total_bytes", "on_violation",
              "flow_exempt")
_RATE_KEYS = ("name", *_MATCH_KEYS, "calls", "window", "algorithm", "burst", "per", "action")
_ARG_KEYS = ("paths", "domains", "must_match", "must_not_match", "max_bytes", "required")
_GUARD_KEYS = ("outputs", "argument_secrets")
_UNPINNED: tuple[UnpinnedMode, ...] = ("pin_on_first_use", "block")
_OUTPUTS: tuple[OutputGuard, ...] = ("flag", "redact", "block")
_ARG_GUARD: tuple[ArgumentGuard, ...] = ("block", "flag")
_ALGORITHMS: tuple[RateAlgorithm, ...] = ("sliding_window", "token_bucket")
_RATE_KEYS_ALLOWED: tuple[RateKey, ...] = ("server", "tool", "identity")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}")


def _names(fields: Fields, key: str, default: tuple[str, ...] | None) -> NameMatch | None:
    found = fields.strings(key)
    if found is None:
        return NameMatch.of(default) if default is not None else None
    return NameMatch.of(found[0])


def _regex(fields: Fields, key: str) -> re.Pattern[str] | None:
    text = fields.text(key)
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error as err:
        node = fields.get(key)
        assert node is not None
        raise node.fail(f"{fields.what}.{key}: invalid regular expression: {err}") from None


def _path_rule(node: Node, what: str, home: str) -> PathRule:
    f = Fields(node, what, ("allow", "deny"))
    out: dict[str, tuple[PathPattern, ...]] = {}
    for key in ("allow", "deny"):
        found = f.strings(key)
        patterns: list[PathPattern] = []
        for text in found[0] if found else ():
            try:
                patterns.append(PathPattern.compile(text, home=home))
            except ValueError as err:
                raise found[1].fail(f"{what}.{key}: {err}") from None  # type: ignore[index]
        out[key] = tuple(patterns)
    if not out["allow"] and not out["deny"]:
        raise node.fail(f"{what} needs 'allow' or 'deny'")
    return PathRule(allow=out["allow"], deny=out["deny"])


def _domain_rule(node: Node, what: str) -> DomainRule:
    f = Fields(node, what, ("allow", "deny", "schemes"))
    out: dict[str, tuple[HostPattern, ...]] = {}
    for key in ("allow", "deny"):
        found = f.strings(key)
        hosts: list[HostPattern] = []
        for text in found[0] if found else ():
            try:
                hosts.append(HostPattern.compile(text))
            except (ValueError, UnicodeError) as err:
                raise found[1].fail(f"{what}.{key}: {err}") from None  # type: ignore[index]
        out[key] = tuple(hosts)
    if not out["allow"] and not out["deny"]:
        raise node.fail(f"{what} needs 'allow' or 'deny'")
    schemes = f.strings("schemes")
    return DomainRule(allow=out["allow"], deny=out["deny"],
                      schemes=frozenset(s.lower() for s in schemes[0]) if schemes else DomainRule().schemes)


def _constraint(selector: str, node: Node, what: str, home: str) -> ArgConstraint:
    f = Fields(node, what, _ARG_KEYS)
    paths = f.get("paths")
    domains = f.get("domains")
    max_bytes = f.get("max_bytes")
    constraint = ArgConstraint(
        selector=NameMatch.of((selector,)),
        where=node.where,
        paths=_path_rule(paths, f"{what}.paths", home) if paths is not None else None,
        domains=_domain_rule(domains, f"{what}.domains") if domains is not None else None,
        must_match=_regex(f, "must_match"),
        must_not_match=_regex(f, "must_not_match"),
        max_bytes=parse_bytes(max_bytes, f"{what}.max_bytes") if max_bytes is not None else None,
        required=bool(f.flag("required")),
    )
    if constraint.paths and constraint.domains:
        raise node.fail(f"{what}: an argument is either a path or a URL; give 'paths' or 'domains', not both")
    if not any((constraint.paths, constraint.domains, constraint.must_match, constraint.must_not_match,
                constraint.max_bytes, constraint.required)):
        raise node.fail(f"{what} checks nothing (give {', '.join(_ARG_KEYS)})")
    return constraint


def _rule_name(f: Fields, what: str, seen: dict[str, str]) -> str:
    name = f.text("name")
    if name is None:
        raise f.node.fail(f"{what} needs a 'name' (it is shown in every decision it makes)")
    node = f.get("name")
    assert node is not None
    if not _NAME.fullmatch(name):
        raise node.fail(f"{what}.name {name!r} must be letters, digits, '_', '.', ':' or '-' (at most 80)")
    if name in seen:
        raise node.fail(f"name {name!r} is already used at {seen[name]}")
    seen[name] = node.where
    return name


def _rule(node: Node, what: str, home: str, seen: dict[str, str], identities: NameMatch | None) -> Rule:
    keys = _RULE_KEYS if identities is None else tuple(k for k in _RULE_KEYS if k != "identity")
    f = Fields(node, what, keys)
    name = _rule_name(f, what, seen)
    args: list[ArgConstraint] = []
    arguments = f.get("arguments")
    if arguments is not None:
        for selector, child in Fields(arguments, f"{what}.arguments", None).values.items():
            args.append(_constraint(selector, child, f"rule {name!r} argument {selector!r}", home))
    total = f.get("max_total_bytes")
    rule = Rule(
        name=name,
        where=node.where,
        servers=_names(f, "server", ("*",)) or NameMatch.of(("*",)),
        tools=_names(f, "tool", ("*",)) or NameMatch.of(("*",)),
        identities=identities if identities is not None else _names(f, "identity", None),
        action=f.choice("action", ACTIONS),
        reason=f.text("reason"),
        arguments=tuple(args),
        max_total_bytes=parse_bytes(total, f"{what}.max_total_bytes") if total is not None else None,
        on_violation=f.choice("on_violation", ("deny", "ask")) or "deny",
        flow_exempt=bool(f.flag("flow_exempt")),
    )
    if rule.action is None and not rule.arguments and rule.max_total_bytes is None and not rule.flow_exempt:
        raise node.fail(f"rule {name!r} does nothing: give it an 'action', 'arguments', 'max_total_bytes' "
                        "or 'flow_exempt'")
    return rule


def _rate(node: Node, what: str, seen: dict[str, str], identities: NameMatch | None) -> RateLimit:
    keys = _RATE_KEYS if identities is None else tuple(k for k in _RATE_KEYS if k != "identity")
    f = Fields(node, what, keys, required=("calls", "window"))
    name = _rule_name(f, what, seen)
    window = f.get("window")
    assert window is not None
    per_found = f.strings("per")
    per: tuple[RateKey, ...] = ("server", "tool", "identity")
    if per_found is not None:
        bad = [p for p in per_found[0] if p not in _RATE_KEYS_ALLOWED]
        if bad:
            raise per_found[1].fail(f"{what}.per may list server, tool and identity, not {', '.join(bad)}")
        per = tuple(k for k in _RATE_KEYS_ALLOWED if k in per_found[0])
    algorithm = f.choice("algorithm", _ALGORITHMS) or "sliding_window"
    burst = f.integer("burst")
    if burst is not None and algorithm != "token_bucket":
        raise node.fail(f"{what}.burst only applies to algorithm: token_bucket")
    return RateLimit(
        name=name,
        where=node.where,
        servers=_names(f, "server", ("*",)) or NameMatch.of(("*",)),
        tools=_names(f, "tool", ("*",)) or NameMatch.of(("*",)),
        identities=identities if identities is not None else _names(f, "identity", None),
        calls=f.integer("calls") or 1,
        window=parse_seconds(window, f"{what}.window"),
        algorithm=algorithm,
        burst=burst,
        per=per,
        action=f.choice("action", ("deny", "ask")) or "deny",
    )


def _flow_map(node: Node | None, what: str, base: Mapping[Capability, Action]) -> Mapping[Capability, Action]:
    if node is None:
        return base
    f = Fields(node, what, tuple(str(s) for s in SINKS))
    out = dict(base)
    for sink in SINKS:
        action = f.choice(str(sink), ACTIONS)
        if action is not None:
            out[sink] = action
    return out


def _flow(node: Node, what: str, base: FlowPolicy) -> FlowPolicy:
    f = Fields(node, what, ("after_private_data", "after_untrusted_content", "unknown_tools"))
    return FlowPolicy(
        after_private_data=_flow_map(f.get("after_private_data"), f"{what}.after_private_data",
                                     base.after_private_data),
        after_untrusted_content=_flow_map(f.get("after_untrusted_content"), f"{what}.after_untrusted_content",
                                          base.after_untrusted_content),
        unknown_tools=f.choice("unknown_tools", ACTIONS) or base.unknown_tools,
        where=node.where,
    )


def _guard(node: Node | None, what: str) -> tuple[OutputGuard | None, ArgumentGuard | None]:
    if node is None:
        return None, None
    f = Fields(node, what, _GUARD_KEYS)
    return f.choice("outputs", _OUTPUTS), f.choice("argument_secrets", _ARG_GUARD)


def compile_policy(root: Node | None, *, path: str, home: str) -> PolicySpec:
    """Build a :class:`PolicySpec` from a parsed document; raise :class:`PolicyError` at ``file:line``."""
    if root is None:
        raise PolicyError("the policy is empty; it needs at least 'version: 1'", where=f"{path}:1")
    top = Fields(root, "the policy", _TOP, required=("version",))
    version_node = top.get("version")
    assert version_node is not None
    if type(version_node.value) is not int or version_node.value not in SUPPORTED_VERSIONS:
        raise version_node.fail(f"unsupported policy version {version_node.value!r} (supported: 1)")

    default: Action = "allow"
    default_where = f"{path}:{root.line}"
    settings = ServerSettings()
    defaults = top.get("defaults")
    if defaults is not None:
        d = Fields(defaults, "defaults", ("action", "unpinned", "guard"))
        default = d.choice("action", ACTIONS) or default
        default_where = (d.get("action") or defaults).where
        outputs, secrets = _guard(d.get("guard"), "defaults.guard")
        settings = ServerSettings(unpinned=d.choice("unpinned", _UNPINNED) or settings.unpinned,
                                  guard_outputs=outputs or settings.guard_outputs,
                                  guard_argument_secrets=secrets or settings.guard_argument_secrets)

    limits = Limits(where=default_where)
    limits_node = top.get("limits")
    if limits_node is not None:
        lf = Fields(limits_node, "limits", ("max_argument_bytes", "max_total_bytes", "max_depth", "max_regex_chars"))
        sizes = {k: parse_bytes(n, f"limits.{k}") for k in ("max_argument_bytes", "max_total_bytes", "max_regex_chars")
                 if (n := lf.get(k)) is not None}
        limits = Limits(
            max_argument_bytes=sizes.get("max_argument_bytes", limits.max_argument_bytes),
            max_total_bytes=sizes.get("max_total_bytes", limits.max_total_bytes),
            max_depth=min(lf.integer("max_depth") or limits.max_depth, 128),
            max_regex_chars=sizes.get("max_regex_chars", limits.max_regex_chars),
            where=limits_node.where,
        )

    flow_node = top.get("flow")
    flow = _flow(flow_node, "flow", FlowPolicy()) if flow_node is not None else FlowPolicy(where=default_where)
    seen: dict[str, str] = {}
    home = home.rstrip("/") or "/"
    rules = [_rule(n, f"rules[{i}]", home, seen, None) for i, n in enumerate(top.items("rules"))]
    rates = [_rate(n, f"rate_limits[{i}]", seen, None) for i, n in enumerate(top.items("rate_limits"))]

    identities: list[IdentitySection] = []
    for i, node in enumerate(top.items("identities")):
        what = f"identities[{i}]"
        f = Fields(node, what, ("name", "match", "default", "flow", "rules", "rate_limits"), required=("match",))
        name = _rule_name(f, what, seen)
        match = _names(f, "match", None)
        assert match is not None
        sub_flow = f.get("flow")
        identities.append(IdentitySection(
            name=name, where=node.where, match=match, default=f.choice("default", ACTIONS),
            default_where=(f.get("default") or node).where,
            flow=_flow(sub_flow, f"{what}.flow", flow) if sub_flow is not None else None,
        ))
        rules += [_rule(n, f"{what}.rules[{j}]", home, seen, match) for j, n in enumerate(f.items("rules"))]
        rates += [_rate(n, f"{what}.rate_limits[{j}]", seen, match) for j, n in enumerate(f.items("rate_limits"))]

    servers: list[ServerSection] = []
    for i, node in enumerate(top.items("servers")):
        what = f"servers[{i}]"
        f = Fields(node, what, ("match", "unpinned", "guard"), required=("match",))
        outputs, secrets = _guard(f.get("guard"), f"{what}.guard")
        servers.append(ServerSection(match=_names(f, "match", None) or NameMatch.of(()), where=node.where,
                                     unpinned=f.choice("unpinned", _UNPINNED),
                                     guard_outputs=outputs, guard_argument_secrets=secrets))

    return PolicySpec(source=path, version=version_node.value, default=default, default_where=default_where,
                      limits=limits, flow=flow, settings=settings, rules=tuple(rules), rate_limits=tuple(rates),
                      identities=tuple(identities), servers=tuple(servers))


def parse_policy(text: str, *, path: str, home: str) -> PolicySpec:
    """Parse and compile policy ``text``; ``path`` is named in every error, ``home`` expands ``~``."""
    return compile_policy(parse_yaml(text, path=path), path=path, home=home)
