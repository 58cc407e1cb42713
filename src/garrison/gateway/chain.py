"""One builder for the protections of ``garrison wrap`` and the HTTP gateway: plain options in, a chain out.

::

    options = ChainOptions(server="files", lockfile="garrison.lock", policy=load_policy("garrison.yaml"))
    built = build_chain(options, sinks=[AuditWriter(...)], notice=print_to_stderr)
    run_relay(command, session=SessionState("files"), chain=built.chain, refresh_lists=built.refresh_lists)

The interceptors, in the order they run on a request (responses pass through the same order)::

    audit       --audit-required: calls refused while the audit trail cannot be written
    pins        lockfile: unapproved tools/prompts/resources hidden and refused      (gateway.pins)
    deny-list   --deny-tools: named tools hidden and refused
    guard       arguments blocked/flagged, outputs flagged/redacted/blocked          (gateway.guard)
    policy      allow / deny / ask a person; hides tools the policy always denies    (gateway.policy)
    sanitise    invisible characters and escapes out of listed descriptions
    call-record one event per request to every sink (audit trail, JSON lines)

Pins come before anything that edits lists, so they hash what the server sent (as ``garrison pin`` does).
Options left ``None`` come from the policy's per-server settings (``servers[].unpinned``, ``guard``) when a
policy is given, else from the defaults below. Pins, guard and sanitising are on unless switched off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from garrison.analysis.guard import DEFAULT, GuardPolicy
from garrison.gateway.audit_sink import AuditGate, AuditWriter
from garrison.gateway.denylist import DenyList
from garrison.gateway.guard import ArgumentAction, ContentGuard, OutputAction
from garrison.gateway.interceptors import EventSink, Interceptor, InterceptorChain
from garrison.gateway.pins import LockfileView, PinGuard, UnpinnedMode
from garrison.gateway.policy import PolicyGate
from garrison.gateway.records import CallRecorder
from garrison.gateway.sanitise import ToolListSanitiser
from garrison.model import Event
from garrison.model.snapshot import ItemKind
from garrison.policy import Policy, PolicyState

__all__ = ["DEFAULT_OUTPUTS", "DEFAULT_UNPINNED", "BuiltChain", "ChainOptions", "build_chain", "sdk_normalise"]

DEFAULT_UNPINNED: UnpinnedMode = "auto"
"""Without a policy or flag: pin on first use when there is no lockfile yet, block when the lockfile exists
but lacks the server."""
DEFAULT_OUTPUTS: OutputAction = "redact"
DEFAULT_ARGUMENTS: ArgumentAction = "block"


@dataclass(frozen=True, slots=True)
class ChainOptions:
    """Everything the protections need, as plain values.

    ``server``: the name pins and policy rules use. ``identity``: the caller's identity for the policy
    (default ``client:<clientInfo.name>``). ``lockfile``: path, or ``None`` to switch pins off.
    ``unpinned``: ``auto``/``pin-on-first-use``/``block``. ``policy``: a loaded :class:`Policy` or ``None``.
    ``guard``: content guard on/off; ``guard_outputs``/``guard_arguments`` its actions. ``ask_people``: the
    approval channel (elicitation to the client when it supports it; ``False`` refuses every ``ask``).
    ``approve_hint``: appended to suggested ``garrison pin``/``approve`` commands (``--name X -- CMD``).
    """

    server: str
    identity: str | None = None
    lockfile: str | None = "garrison.lock"
    unpinned: UnpinnedMode | None = None
    policy: Policy | None = None
    guard: bool = True
    guard_outputs: OutputAction | None = None
    guard_arguments: ArgumentAction | None = None
    guard_policy: GuardPolicy = DEFAULT
    ask_people: bool = True
    deny_tools: Mapping[str, str] = field(default_factory=dict)
    sanitise: bool = True
    approve_hint: str = ""
    blocklist: str | None = None
    """The block list ``garrison respond`` writes (blocked tools, quarantined servers); ``None``: none."""


@dataclass(frozen=True, slots=True)
class BuiltChain:
    chain: InterceptorChain
    refresh_lists: bool
    """Pass to the relay: pins need it to re-list after ``list_changed``."""
    pins: PinGuard | None = None
    guard: ContentGuard | None = None
    policy: PolicyGate | None = None


_MODELS = {"tool": "Tool", "prompt": "Prompt", "resource": "Resource", "resource_template": "ResourceTemplate"}


def sdk_normalise(kind: ItemKind, raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """``raw`` as the scanner records it (parsed by the MCP SDK, dumped by alias without nulls), so wire
    definitions hash like the pins ``garrison pin`` wrote. Unparseable items stay as received (and so will
    not match a pin)."""
    import mcp.types
    from pydantic import ValidationError

    model = getattr(mcp.types, _MODELS[kind])
    try:
        return dict(model.model_validate(dict(raw)).model_dump(by_alias=True, exclude_none=True, mode="json"))
    except ValidationError:
        return raw


def _unpinned(options: ChainOptions) -> UnpinnedMode:
    if options.unpinned is not None:
        return options.unpinned
    if options.policy is not None:
        mode = options.policy.settings_for(options.server).unpinned
        return "pin-on-first-use" if mode == "pin_on_first_use" else "block"
    return DEFAULT_UNPINNED


def _guard_settings(options: ChainOptions) -> Callable[[str], tuple[OutputAction, ArgumentAction]]:
    policy = options.policy

    def settings(server: str) -> tuple[OutputAction, ArgumentAction]:
        base = policy.settings_for(server) if policy is not None else None
        outputs = options.guard_outputs or (base.guard_outputs if base is not None else DEFAULT_OUTPUTS)
        arguments = options.guard_arguments or (base.guard_argument_secrets if base is not None
                                                else DEFAULT_ARGUMENTS)
        return outputs, arguments

    return settings


def build_chain(options: ChainOptions, *, sinks: Sequence[EventSink] = (), audit: AuditWriter | None = None,
                audit_required: bool = False, notice: Callable[[str], None] | None = None,
                policy_state: PolicyState | None = None) -> BuiltChain:
    """The interceptor chain for ``options``. ``audit`` is also a sink; with ``audit_required`` calls are
    refused while it cannot write. ``notice`` gets messages for people (pin-on-first-use)."""
    interceptors: list[Interceptor] = []
    if audit is not None and audit_required:
        interceptors.append(AuditGate(audit))
    if options.blocklist is not None:
        from garrison.respond.blocklist import BlocklistGate, BlocklistView

        interceptors.append(BlocklistGate(BlocklistView(options.blocklist).current))
    pins = None
    if options.lockfile is not None:
        pins = PinGuard(LockfileView(options.lockfile), unpinned=_unpinned(options), normalise=sdk_normalise,
                        notice=notice, approve_hint=options.approve_hint)
        interceptors.append(pins)
    if options.deny_tools:
        interceptors.append(DenyList(options.deny_tools))
    guard = None
    if options.guard:
        guard = ContentGuard(policy=options.guard_policy, settings=_guard_settings(options))
        interceptors.append(guard)
    gate = None
    if options.policy is not None:
        gate = PolicyGate(options.policy, identity=options.identity, state=policy_state,
                          ask_people=options.ask_people)
        interceptors.append(gate)
    if options.sanitise:
        interceptors.append(ToolListSanitiser())
    every: list[EventSink] = list(sinks)
    if audit is not None:
        every.append(audit)
    if every:
        interceptors.append(CallRecorder(every[0] if len(every) == 1 else _fan_out(every)))
    return BuiltChain(InterceptorChain(interceptors), refresh_lists=pins is not None, pins=pins, guard=guard,
                      policy=gate)


def _fan_out(sinks: Sequence[EventSink]) -> EventSink:
    def sink(event: Event) -> None:
        for each in sinks:
            each(event)

    return sink
