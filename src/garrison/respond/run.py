"""Running playbooks over alerts: assess each alert (storyline, priority, summary), pick the playbooks whose
``when`` holds, derive each action's target from the storyline and carry it out through a :class:`Responder`.

The matching and targeting are pure; the :class:`Responder` holds the edges (signals, files, HTTP) and
whether destructive actions are executed or only planned (the default).
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from garrison.detect.engine import Alert
from garrison.detect.priority import Priority, prioritize
from garrison.detect.storyline import Node, Storyline, StorylineBuilder, alert_id, build_storyline, call_fields
from garrison.detect.summary import summarize
from garrison.model import Event
from garrison.pins import LOCKFILE_NAME
from garrison.respond.blocklist import BLOCKLIST_FILE, load_blocklist, save_blocklist
from garrison.respond.kill import kill_tree
from garrison.respond.pins import revoke_in_file
from garrison.respond.playbook import ActionSpec, Condition, Playbook
from garrison.respond.results import ActionName, ActionResult
from garrison.respond.webhook import notify

__all__ = ["LOCAL_SENSORS", "Assessed", "Responder", "assess", "assess_all", "kill_target", "matches", "respond",
           "run_action"]

LOCAL_SENSORS = "garrison.sensors"
"""Only processes reported by this machine's own sensors are ever killed: an imported log's pid may belong to
another host."""


@dataclass(frozen=True, slots=True)
class Assessed:
    """An alert with what Garrison made of it."""

    alert: Alert
    id: str
    storyline: Storyline
    priority: Priority
    summary: str

    def to_json(self) -> dict[str, Any]:
        out = self.alert.to_json()
        out.update(id=self.id, storyline=self.storyline.to_json(), priority=self.priority.to_json(),
                   summary=self.summary)
        return out

    @property
    def server(self) -> str | None:
        call = self.storyline.node(self.storyline.call) if self.storyline.call else None
        if call is not None and call.attrs.get("server"):
            return str(call.attrs["server"])
        servers = self.storyline.of_kind("server")
        if servers:
            return servers[0].label
        for event in self.alert.events:
            server = call_fields(event)[0] if event.logsource.category == "tool_call" else event.links.get("server")
            if server:
                return server
        return None

    @property
    def tool(self) -> str | None:
        call = self.storyline.node(self.storyline.call) if self.storyline.call else None
        return str(call.attrs["tool"]) if call is not None and call.attrs.get("tool") else None


def assess(alert: Alert, events: Iterable[Event] | StorylineBuilder) -> Assessed:
    """Storyline, priority and summary of ``alert`` (over ``events``, or an index of them built once)."""
    story = events.build(alert) if isinstance(events, StorylineBuilder) else build_storyline(alert, events)
    priority = prioritize(alert, story)
    return Assessed(alert, alert_id(alert), story, priority, summarize(alert, story, priority))


def assess_all(alerts: Iterable[Alert], events: Iterable[Event]) -> list[Assessed]:
    """Every alert assessed over the same events, highest priority first."""
    builder = StorylineBuilder(events)
    return sorted((assess(a, builder) for a in alerts), key=lambda a: (-a.priority.score, a.id))


def _tags(alert: Alert) -> set[str]:
    tags = {f"attack.{t.lower()}" for t in alert.techniques}
    return tags | {f"attack.{t.lower()}" for t in alert.tactics}


def matches(condition: Condition, assessed: Assessed) -> bool:
    alert = assessed.alert
    if condition.rules and alert.rule not in condition.rules:
        return False
    if condition.techniques and not any(t.upper() == c or t.upper().startswith(c + ".")
                                        for t in alert.techniques for c in condition.techniques):
        return False
    if condition.tactics and not set(condition.tactics) & set(alert.tactics):
        return False
    if condition.min_priority is not None and assessed.priority.score < condition.min_priority:
        return False
    if condition.servers and assessed.server not in condition.servers:
        return False
    return not (condition.tags and not set(condition.tags) & _tags(alert))


def kill_target(storyline: Storyline, scope: str = "chain") -> Node | None:
    """The process to kill: ``chain`` is the process the tool call spawned (or, with no call, the topmost
    process below the server's own); ``server`` is the server's process itself."""
    index = {n.id: n for n in storyline.nodes}
    launched = [index[e.target] for e in storyline.edges if e.kind == "launched" and e.target in index]
    if scope == "server":
        return launched[0] if launched else None
    if storyline.call is not None:
        spawned = [index[e.target] for e in storyline.edges
                   if e.source == storyline.call and e.kind == "spawned" and e.target in index]
        if spawned:
            return spawned[0]
    roots = {n.id for n in launched}
    below = [index[e.target] for e in storyline.edges if e.source in roots and index[e.target].kind == "process"]
    if below:
        return below[0]
    return launched[0] if launched else next(iter(storyline.of_kind("process")), None)


def _now_iso(clock: Callable[[], float]) -> str:
    return datetime.fromtimestamp(clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Responder:
    """The edges of response. ``execute`` false (the default) plans destructive actions without doing them;
    notifications are always sent. The callables are injectable for tests."""

    execute: bool = False
    blocklist_path: str = BLOCKLIST_FILE
    lockfile_path: str = LOCKFILE_NAME
    clock: Callable[[], float] = _time.time
    kill: Callable[..., ActionResult] = kill_tree
    post: Callable[..., ActionResult] = notify
    done: set[tuple[str, str]] = field(default_factory=set)
    """(action, target) pairs already handled in this run: a tree is killed once, not once per alert."""

    def block(self, server: str, tool: str | None, reason: str) -> ActionResult:
        action: ActionName = "quarantine_server" if tool is None else "block_tool"
        target = server if tool is None else f"{server}/{tool}"
        current = load_blocklist(self.blocklist_path)
        new, changed = (current.with_server(server, reason, _now_iso(self.clock)) if tool is None
                        else current.with_tool(server, tool, reason, _now_iso(self.clock)))
        if not changed:
            return ActionResult(action, target, executed=False, ok=True,
                                detail=f"already listed in {self.blocklist_path}", time=self.clock())
        if not self.execute:
            return ActionResult(action, target, executed=False, ok=True,
                                detail=f"would add to {self.blocklist_path}", time=self.clock())
        save_blocklist(new, self.blocklist_path)
        return ActionResult(action, target, executed=True, ok=True, detail=f"added to {self.blocklist_path}",
                            time=self.clock())


def _skip(spec: ActionSpec, why: str, clock: Callable[[], float]) -> ActionResult:
    return ActionResult(spec.name, "-", executed=False, ok=False, detail=f"nothing to act on: {why}", time=clock())


def run_action(spec: ActionSpec, assessed: Assessed, responder: Responder, playbook: str | None = None
               ) -> ActionResult | None:
    """Carry out one action for one alert (``None`` when this run already did the same thing)."""
    clock = responder.clock
    reason = str(spec.options.get("reason") or f"{assessed.alert.title} (alert {assessed.id})")
    server, tool = assessed.server, assessed.tool
    result: ActionResult
    key: tuple[str, str]
    if spec.name == "kill_process_tree":
        node = kill_target(assessed.storyline, str(spec.options.get("scope", "chain")))
        pid = node.attrs.get("ProcessId") if node is not None else None
        if node is None or not isinstance(pid, int):
            return _skip(spec, "no process with a pid in the storyline", clock)
        if not str(node.attrs.get("source", "")).startswith(LOCAL_SENSORS):
            return ActionResult(spec.name, f"pid {pid}", executed=False, ok=False, time=clock(),
                                detail=f"not killed: the process was seen by {node.attrs.get('source', '?')}, "
                                       "not by this machine's sensors (its pid may name another host's process)")
        key = (spec.name, f"{pid}@{node.time}")
        if key in responder.done:
            return None
        responder.done.add(key)
        result = responder.kill(pid, seen_at=node.time, execute=responder.execute)
    elif spec.name in ("block_tool", "quarantine_server"):
        if server is None or (spec.name == "block_tool" and tool is None):
            return _skip(spec, "the alert did not come from a tool call" if server else "no server", clock)
        key = (spec.name, f"{server}/{tool if spec.name == 'block_tool' else ''}")
        if key in responder.done:
            return None
        responder.done.add(key)
        result = responder.block(server, tool if spec.name == "block_tool" else None, reason)
    elif spec.name == "revoke_pin":
        whole = spec.options.get("scope") == "server"
        if server is None or (not whole and tool is None):
            return _skip(spec, "the alert did not come from a tool call" if server else "no server", clock)
        key = (spec.name, f"{server}/{'' if whole else tool}")
        if key in responder.done:
            return None
        responder.done.add(key)
        result = revoke_in_file(server, None if whole else tool, path=responder.lockfile_path,
                                execute=responder.execute, clock=clock)
    else:
        payload = {"source": "garrison", "alert": assessed.to_json(), "playbook": playbook}
        result = responder.post(str(spec.options["url"]), payload, timeout=float(spec.options["timeout"]),
                                clock=clock)
    return replace(result, alert=assessed.id, playbook=playbook)


def respond(assessed: Sequence[Assessed], playbooks: Sequence[Playbook], responder: Responder
            ) -> list[ActionResult]:
    """Every matching playbook's actions for every alert, highest priority first."""
    results: list[ActionResult] = []
    for item in sorted(assessed, key=lambda a: (-a.priority.score, a.id)):
        for book in playbooks:
            if not matches(book.when, item):
                continue
            for spec in book.actions:
                result = run_action(spec, item, responder, book.name)
                if result is not None:
                    results.append(result)
    return results

