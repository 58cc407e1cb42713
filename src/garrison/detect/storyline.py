"""Storylines: the chain of activity behind one alert, as a graph (pure: an alert and events in, a graph out).

::

    client ──called──▶ MCP server ──ran──▶ tool call ──spawned──▶ process ──spawned──▶ process
                                                                      └──opened──▶ file / connection / cloud call

Processes are linked by ancestry: ``ProcessGuid``/``ParentProcessGuid`` (fields or ``links``) when the source
has them; otherwise by ``ProcessId``/``ParentProcessId`` plus time, where a pid names the latest process of
that pid created at or before the moment and not terminated since (so a reused pid is not mistaken for its
predecessor). A process tree belongs to a tool call when its root is the server's process (``links.server``)
and the first process below that root was created while the call was in flight: from the ``tool_call``
event's time to that time plus its latency and :data:`CALL_END_SLACK` (or, for a call with no recorded end,
until the server's next call or :data:`OPEN_CALL_WINDOW`); of overlapping calls, the latest to start wins.
Every other event of a process in the story becomes a leaf: a file, a connection or any other activity (a
cloud API call, a registry write).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from garrison.detect.engine import Alert
from garrison.model import Event, digest

__all__ = [
    "CALL_END_SLACK",
    "MAX_ANCESTRY",
    "MAX_NODES",
    "OPEN_CALL_WINDOW",
    "Edge",
    "Node",
    "NodeKind",
    "Storyline",
    "StorylineBuilder",
    "alert_id",
    "build_storyline",
    "call_fields",
    "render_tree",
]

NodeKind = Literal["client", "server", "tool_call", "process", "file", "connection", "activity"]
MAX_NODES = 500
"""Nodes per storyline; past this, leaves are counted in ``truncated`` instead of drawn."""
MAX_ANCESTRY = 64
OPEN_CALL_WINDOW = 60.0
"""Seconds a call with no recorded end is taken to be in flight (unless the server's next call comes first)."""
CALL_END_SLACK = 0.5
"""Seconds after a call's recorded end during which a new process still counts as started by it: sensors
stamp an event when they read it, a little after the kernel saw the fork."""
_PROCESS_EVENTS = ("process_creation", "process_termination")
_SKIPPED = (*_PROCESS_EVENTS, "tool_call", "image_load")
"""Not drawn as leaves: processes and calls are nodes of their own; module loads are every process's noise
(an alert on one is still drawn, as a loose leaf of its process)."""
MAX_LABEL = 160


def _first(fields: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        value = fields.get(name)
        if value is not None and value != "":
            return value
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return int(text)
        if text.startswith("0x") and len(text) > 2:  # Windows Security events write pids in hex
            try:
                return int(text, 16)
            except ValueError:
                return None
    return None


def _host(fields: Mapping[str, Any]) -> str | None:
    """The machine an event comes from, when the source says: pids are only unique per host."""
    return _text(_first(fields, "Computer", "Hostname", "host", "hostname"))


def call_fields(event: Event) -> tuple[str | None, str | None, str | None, str | None]:
    """``(server, tool, client, call id)`` of a ``tool_call`` event, whichever naming its producer used."""
    f, links = event.fields, event.links
    server = _text(_first(f, "Server", "server") or links.get("server"))
    tool = _text(_first(f, "Tool", "tool"))
    client = _text(_first(f, "Client", "client") or links.get("client"))
    call_id = _text(links.get("call_id") or _first(f, "CallId", "call_id"))
    return server, tool, client, call_id


def alert_id(alert: Alert) -> str:
    """A stable short id for an alert: its rule and the identities (or times) of its events."""
    keys = [e.id if e.id is not None else [e.time, e.logsource.category, dict(e.links)] for e in alert.events]
    return digest([alert.rule, keys])[7:23]


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: NodeKind
    label: str
    time: float | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)
    alerted: bool = False
    """One of the alert's own events is on this node."""
    events: tuple[str, ...] = ()
    """Ids of the events behind this node (a file opened twice has two)."""

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "label": self.label, "time": self.time,
                "attrs": dict(self.attrs), "alerted": self.alerted, "events": list(self.events)}


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    kind: str
    """``called`` (client → server), ``ran`` (server → call), ``spawned``, ``opened``, ``wrote``,
    ``connected``, ``did``."""
    time: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "kind": self.kind, "time": self.time}


@dataclass(frozen=True, slots=True)
class Storyline:
    alert: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    root: str | None
    call: str | None = None
    """The tool-call node the chain started from, when one was found."""
    truncated: int = 0

    @property
    def start(self) -> float | None:
        times = [n.time for n in self.nodes if n.time is not None]
        return min(times) if times else None

    @property
    def end(self) -> float | None:
        times = [n.time for n in self.nodes if n.time is not None]
        return max(times) if times else None

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def of_kind(self, kind: NodeKind) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.kind == kind)

    def children(self, node_id: str) -> tuple[Node, ...]:
        ids = [e.target for e in self.edges if e.source == node_id]
        index = {n.id: n for n in self.nodes}
        return tuple(index[i] for i in ids if i in index)

    def to_json(self) -> dict[str, Any]:
        return {"alert": self.alert, "root": self.root, "call": self.call, "start": self.start, "end": self.end,
                "nodes": [n.to_json() for n in self.nodes], "edges": [e.to_json() for e in self.edges],
                "truncated": self.truncated}


# -- process index ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Proc:
    key: str
    pid: int | None
    ppid: int | None
    parent_guid: str | None
    time: float
    end: float | None
    server: str | None
    fields: Mapping[str, Any]
    event_id: str | None = None
    host: str | None = None
    end_event: str | None = None
    source: str | None = None


def _guid(event: Event) -> str | None:
    return _text(_first(event.fields, "ProcessGuid", "SourceProcessGUID", "SourceProcessGuid")
                 or event.links.get("process_guid"))


class _Processes:
    def __init__(self, events: Sequence[Event]) -> None:
        self.by_key: dict[str, _Proc] = {}
        self._by_pid: dict[tuple[str | None, int], list[tuple[float, str]]] = {}
        self._by_event: dict[int, str] = {}
        """Creation events that name neither a GUID nor a pid: the process is known by its event alone."""
        for event in events:
            if event.logsource.category == "process_creation":
                self._add(event)
        for entries in self._by_pid.values():
            entries.sort()
        self._add_missing_parents()
        for event in events:
            if event.logsource.category == "process_termination":
                proc = self.find(event)
                if proc is not None and (proc.end is None or event.time < proc.end):
                    proc.end = event.time
                    proc.end_event = event.id

    def _add(self, event: Event) -> None:
        f = event.fields
        pid = _int(_first(f, "ProcessId"))
        guid = _guid(event)
        key = guid or (f"pid:{pid}@{event.time:.6f}" if pid is not None else
                       f"event:{event.id or digest([event.time, dict(f)])[7:23]}")
        if key in self.by_key:
            return
        if guid is None and pid is None:
            self._by_event[id(event)] = key
        self.by_key[key] = _Proc(
            key=key, pid=pid, ppid=_int(_first(f, "ParentProcessId")),
            parent_guid=_text(_first(f, "ParentProcessGuid") or event.links.get("parent_guid")),
            time=event.time, end=None, server=event.links.get("server"), fields=f, event_id=event.id,
            host=_host(f), source=event.source)
        if pid is not None:
            self._by_pid.setdefault((_host(f), pid), []).append((event.time, key))

    def _add_missing_parents(self) -> None:
        """A parent whose own start was not recorded (it started before the capture) is known from its
        children's ``ParentImage``/``ParentCommandLine``. Not for Garrison's sensors (``links.server``): there
        the root's parent is outside the watched tree on purpose."""
        for proc in sorted(self.by_key.values(), key=lambda p: p.time):
            if proc.server is not None or self.parent(proc) is not None:
                continue
            image = _first(proc.fields, "ParentImage")
            if image is None or (proc.parent_guid is None and proc.ppid is None):
                continue
            key = proc.parent_guid or f"pid:{proc.ppid}@before:{proc.key}"
            fields = {"Image": image, "CommandLine": _first(proc.fields, "ParentCommandLine"),
                      "ProcessId": proc.ppid, "ProcessGuid": proc.parent_guid,
                      "User": _first(proc.fields, "ParentUser")}
            self.by_key[key] = _Proc(key=key, pid=proc.ppid, ppid=None, parent_guid=None, time=proc.time,
                                     end=None, server=None, fields={k: v for k, v in fields.items() if v is not None},
                                     host=proc.host)
            if proc.parent_guid is None and proc.ppid is not None:
                entries = self._by_pid.setdefault((proc.host, proc.ppid), [])
                # Known from its child only: it held the pid from before the child started.
                entries.insert(0, (float("-inf"), key))

    def at(self, host: str | None, pid: int, time: float) -> _Proc | None:
        """The process that held ``pid`` on ``host`` at ``time``: the latest created by then and not ended
        before it."""
        entries = self._by_pid.get((host, pid))
        if not entries:
            return None
        index = bisect.bisect_right(entries, (time, "\uffff")) - 1
        if index < 0:
            return None
        proc = self.by_key[entries[index][1]]
        return None if proc.end is not None and proc.end < time else proc

    def find(self, event: Event) -> _Proc | None:
        if id(event) in self._by_event:
            return self.by_key[self._by_event[id(event)]]
        guid = _guid(event)
        if guid is not None:
            return self.by_key.get(guid)
        pid = _int(_first(event.fields, "ProcessId", "SourceProcessId"))
        return None if pid is None else self.at(_host(event.fields), pid, event.time)

    def parent(self, proc: _Proc) -> _Proc | None:
        if proc.parent_guid is not None:
            return self.by_key.get(proc.parent_guid)
        return None if proc.ppid is None else self.at(proc.host, proc.ppid, proc.time)

    def ancestry(self, proc: _Proc) -> list[_Proc]:
        """``proc`` and its ancestors, the process itself first; cycles and depth are bounded."""
        chain = [proc]
        seen = {proc.key}
        while len(chain) < MAX_ANCESTRY:
            parent = self.parent(chain[-1])
            if parent is None or parent.key in seen:
                break
            chain.append(parent)
            seen.add(parent.key)
        return chain

    def children(self) -> dict[str, list[_Proc]]:
        out: dict[str, list[_Proc]] = {}
        for proc in self.by_key.values():
            parent = self.parent(proc)
            if parent is not None and parent.key != proc.key:
                out.setdefault(parent.key, []).append(proc)
        for procs in out.values():
            procs.sort(key=lambda p: (p.time, p.key))
        return out


# -- calls -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Call:
    event: Event
    server: str
    start: float
    end: float


def _calls(events: Sequence[Event]) -> dict[str, _CallIndex]:
    raw: dict[str, list[Event]] = {}
    for event in events:
        if event.logsource.product == "mcp" and event.logsource.category == "tool_call":
            server = call_fields(event)[0]
            if server is not None:
                raw.setdefault(server, []).append(event)
    out: dict[str, _CallIndex] = {}
    for server, calls in raw.items():
        calls.sort(key=lambda e: e.time)
        built = []
        for i, event in enumerate(calls):
            latency = _first(event.fields, "latency_ms", "LatencyMs")
            if isinstance(latency, int | float) and not isinstance(latency, bool):
                end = event.time + float(latency) / 1000.0 + CALL_END_SLACK
            else:
                following = calls[i + 1].time if i + 1 < len(calls) else event.time + OPEN_CALL_WINDOW
                end = min(following, event.time + OPEN_CALL_WINDOW)
            built.append(_Call(event, server, event.time, end))
        out[server] = _CallIndex(built, [c.start for c in built], max(c.end - c.start for c in built))
    return out


@dataclass(slots=True)
class _CallIndex:
    """One server's calls, sorted by start, for "which call was in flight at t" in logarithmic time."""

    calls: list[_Call]
    starts: list[float]
    longest: float

    def at(self, time: float) -> _Call | None:
        """The latest-starting call in flight at ``time``."""
        for k in range(bisect.bisect_right(self.starts, time) - 1, -1, -1):
            call = self.calls[k]
            if call.end >= time:
                return call
            if call.start < time - self.longest:
                break
        return None


# -- leaves -------------------------------------------------------------------------------------------------------
def _leaf(event: Event) -> tuple[str, NodeKind, str, str]:
    """(node id, kind, label, edge kind) for a non-process event."""
    f, category = event.fields, event.logsource.category or ""
    target = _text(_first(f, "TargetFilename", "TargetObject", "ObjectName"))
    if category.startswith("file") and target:
        access = str(_first(f, "Access") or "")
        return f"file:{target}", "file", target, "wrote" if access == "write" or "write" in category else "opened"
    if category == "network_connection" or _first(f, "DestinationIp", "DestinationHostname") is not None:
        host = _text(_first(f, "DestinationHostname", "DestinationIp")) or "?"
        port = _text(_first(f, "DestinationPort"))
        label = f"{host}:{port}" if port else host
        return f"net:{label}", "connection", label, "connected"
    name = _text(_first(f, "eventName", "EventName", "Operation", "Type", "Tool")) or category or (
        f"event {f['EventID']}" if f.get("EventID") is not None else "event")
    target = target or _text(_first(f, "ImageLoaded", "PipeName", "TargetImage"))
    product = event.logsource.product or event.source
    label = f"{product} {name}" + (f" {target}" if target else "")
    return f"act:{event.id or digest([event.time, label])[7:19]}", "activity", label, "did"


def _process_node(proc: _Proc, alerted: bool) -> Node:
    f = proc.fields
    image = _text(_first(f, "Image")) or "?"
    attrs = {k: f[k] for k in ("Image", "CommandLine", "User", "ProcessId", "ParentProcessId",
                               "CurrentDirectory") if f.get(k) is not None}
    if proc.server is not None:
        attrs["server"] = proc.server
    if proc.source is not None:
        attrs["source"] = proc.source
    if proc.end is not None:
        attrs["ended"] = proc.end
    pid = f" ({proc.pid})" if proc.pid is not None else ""
    return Node(f"proc:{proc.key}", "process", f"{image.rsplit('/', 1)[-1].rsplit(chr(92), 1)[-1]}{pid}",
                proc.time, attrs, alerted, tuple(e for e in (proc.event_id, proc.end_event) if e))


class _Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self._edge_keys: set[tuple[str, str, str]] = set()
        self.truncated = 0

    def add(self, node: Node) -> bool:
        current = self.nodes.get(node.id)
        if current is not None:
            extra = tuple(e for e in node.events if e not in current.events)
            if (node.alerted and not current.alerted) or extra:
                self.nodes[node.id] = replace(current, alerted=current.alerted or node.alerted,
                                              events=current.events + extra)
            return True
        if len(self.nodes) >= MAX_NODES:
            self.truncated += 1
            return False
        self.nodes[node.id] = node
        return True

    def link(self, source: str, target: str, kind: str, time: float | None) -> None:
        if (source, target, kind) not in self._edge_keys and source in self.nodes and target in self.nodes:
            self._edge_keys.add((source, target, kind))
            self.edges.append(Edge(source, target, kind, time))


def _add_call(graph: _Graph, call: Event, alerted: bool) -> str:
    server, tool, client, call_id = call_fields(call)
    server_id = f"server:{server}"
    graph.add(Node(server_id, "server", server or "?"))
    if client:
        graph.add(Node(f"client:{client}", "client", client))
        graph.link(f"client:{client}", server_id, "called", call.time)
    call_node = f"call:{server}:{call_id or call.id or call.time}"
    attrs = {k: v for k, v in (("server", server), ("tool", tool), ("client", client), ("call_id", call_id),
                               ("decision", _first(call.fields, "decision", "Decision"))) if v is not None}
    graph.add(Node(call_node, "tool_call", f"{tool or '?'}()", call.time, attrs, alerted,
                   (call.id,) if call.id else ()))
    graph.link(server_id, call_node, "ran", call.time)
    return call_node


class StorylineBuilder:
    """Indexes ``events`` once (processes, calls, per-process activity) and builds many storylines over them."""

    def __init__(self, events: Iterable[Event]) -> None:
        self.pool = list(events)
        self._known = {id(e) for e in self.pool}
        self.procs = _Processes(self.pool)
        self.calls = _calls(self.pool)
        self.call_of = {id(c.event): c for index in self.calls.values() for c in index.calls}
        self.children = self.procs.children()
        self.activity: dict[str, list[Event]] = {}
        for event in self.pool:
            if event.logsource.category in _SKIPPED:
                continue
            owner = self.procs.find(event)
            if owner is not None:
                self.activity.setdefault(owner.key, []).append(event)
        for items in self.activity.values():
            items.sort(key=lambda e: e.time)

    def build(self, alert: Alert) -> Storyline:
        if any(id(e) not in self._known for e in alert.events):
            return StorylineBuilder([*self.pool, *(e for e in alert.events if id(e) not in self._known)]).build(alert)
        procs, calls = self.procs, self.calls
        graph = _Graph()
        alerted_ids = {id(e) for e in alert.events}
        anchors: list[tuple[_Proc, float]] = []
        call: _Call | None = None
        for event in alert.events:
            if event.logsource.category == "tool_call":
                server = call_fields(event)[0]
                found = self.call_of.get(id(event))
                if found is not None and call is None:
                    call = found
                    anchors.extend((p, p.time) for p in _call_roots(procs, found))
                continue
            proc = procs.find(event)
            if proc is not None:
                anchors.append((proc, event.time))
        # Walk each anchor up to its tree root; the first process below the root (the "top") dates the chain's
        # start and is drawn with its whole subtree. Siblings under the root (other calls' work) are left out.
        roots: dict[str, _Proc] = {}
        tops: dict[str, tuple[_Proc, _Proc]] = {}
        for proc, when in anchors:
            chain = procs.ancestry(proc)
            root = chain[-1]
            top = chain[-2] if len(chain) > 1 else None
            server = root.server or proc.server
            if call is None and server is not None and server in calls:
                call = calls[server].at(top.time if top is not None else when)
            roots.setdefault(root.key, root)
            if top is not None:
                tops.setdefault(top.key, (top, root))
        call_node = _add_call(graph, call.event, id(call.event) in alerted_ids) if call is not None else None
        alerted_procs = {p.key for p, _ in anchors}
        for root in roots.values():
            if root.server is not None:
                graph.add(Node(f"server:{root.server}", "server", root.server))
            graph.add(_process_node(root, root.key in alerted_procs))
            if root.server is not None:
                graph.link(f"server:{root.server}", f"proc:{root.key}", "launched", root.time)
            # The server's own activity is mostly its ordinary work: only what the alert is about is drawn.
            own = [e for e in self.activity.get(root.key, ()) if id(e) in alerted_ids]
            _add_leaves(graph, root, {root.key: own}, alerted_ids)
        for top, root in tops.values():
            in_call = (call is not None and call_node is not None and call.server == (root.server or top.server)
                       and call.start <= top.time <= call.end)
            parent = call_node if in_call and call_node is not None else f"proc:{root.key}"
            _add_tree(graph, top, parent, self.children, self.activity, alerted_ids, alerted_procs)
        # Alert events that are neither processes nor calls and were not attributed: keep them as loose leaves.
        for event in alert.events:
            if event.logsource.category in ("tool_call", *_PROCESS_EVENTS):
                continue
            owner = procs.find(event)
            if owner is not None and event.logsource.category not in _SKIPPED:
                continue
            node_id, kind, label, edge = _leaf(event)
            if graph.add(Node(node_id, kind, label, event.time, _leaf_attrs(event), True, _ids(event))) and \
                    owner is not None:
                graph.link(f"proc:{owner.key}", node_id, edge, event.time)
        return Storyline(alert_id(alert), tuple(graph.nodes.values()), tuple(graph.edges), _pick_root(graph),
                         call_node, graph.truncated)


def build_storyline(alert: Alert, events: Iterable[Event]) -> Storyline:
    """The storyline of ``alert`` over ``events`` (which may or may not include the alert's own events).
    For many alerts over the same events, index once with :class:`StorylineBuilder`."""
    return StorylineBuilder(events).build(alert)


def _call_roots(procs: _Processes, call: _Call) -> list[_Proc]:
    """Processes of the call's server created in its window whose parent is the server's root process."""
    out = [p for p in procs.by_key.values()
           if p.server == call.server and call.start <= p.time <= call.end and len(procs.ancestry(p)) == 2]
    return sorted(out, key=lambda p: (p.time, p.key))


def _add_leaves(graph: _Graph, proc: _Proc, event_index: Mapping[str, list[Event]],
                alerted_ids: set[int]) -> None:
    node_id = f"proc:{proc.key}"
    for event in event_index.get(proc.key, ()):
        leaf_id, kind, label, edge = _leaf(event)
        if graph.add(Node(leaf_id, kind, label, event.time, _leaf_attrs(event), id(event) in alerted_ids,
                          _ids(event))):
            graph.link(node_id, leaf_id, edge, event.time)


def _add_tree(graph: _Graph, top: _Proc, parent: str, children: Mapping[str, list[_Proc]],
              event_index: Mapping[str, list[Event]], alerted_ids: set[int], alerted_procs: set[str]) -> None:
    """``top`` (linked from ``parent``: the call that spawned it, or the server process) and its descendants
    with their leaves, parents before children."""
    if not graph.add(_process_node(top, top.key in alerted_procs)):
        return
    graph.link(parent, f"proc:{top.key}", "spawned", top.time)
    stack = [top]
    seen: set[str] = set()
    while stack:
        proc = stack.pop()
        if proc.key in seen:
            continue
        seen.add(proc.key)
        _add_leaves(graph, proc, event_index, alerted_ids)
        added = [c for c in children.get(proc.key, ())
                 if c.key not in seen and graph.add(_process_node(c, c.key in alerted_procs))]
        for child in added:
            graph.link(f"proc:{proc.key}", f"proc:{child.key}", "spawned", child.time)
        stack.extend(reversed(added))


def _ids(event: Event) -> tuple[str, ...]:
    return (event.id,) if event.id is not None else ()


def _leaf_attrs(event: Event) -> dict[str, Any]:
    keep = ("TargetFilename", "Access", "DestinationIp", "DestinationHostname", "DestinationPort", "Protocol",
            "eventName", "eventSource", "Type", "Details")
    return {k: event.fields[k] for k in keep if event.fields.get(k) is not None}


def _pick_root(graph: _Graph) -> str | None:
    targets = {e.target for e in graph.edges}
    for kind in ("client", "server", "tool_call", "process"):
        for node in graph.nodes.values():
            if node.kind == kind and node.id not in targets:
                return node.id
    return next(iter(graph.nodes), None)


def render_tree(storyline: Storyline) -> str:
    """The storyline as an indented terminal tree; ``!`` marks nodes carrying the alert's events."""
    index = {n.id: n for n in storyline.nodes}
    out: dict[str, list[tuple[str, str]]] = {}
    targets: set[str] = set()
    for edge in storyline.edges:
        out.setdefault(edge.source, []).append((edge.kind, edge.target))
        targets.add(edge.target)
    roots = [n.id for n in storyline.nodes if n.id not in targets]
    lines: list[str] = []
    drawn: set[str] = set()

    def label(node: Node, via: str | None) -> str:
        mark = "! " if node.alerted else ""
        detail = ""
        if node.kind == "process" and node.attrs.get("CommandLine"):
            command = str(node.attrs["CommandLine"])
            detail = "  " + (command if len(command) <= MAX_LABEL else command[:MAX_LABEL] + "…")
        how = f"{via} " if via else ""
        return f"{mark}{how}{node.kind} {node.label}{detail}"

    def walk(node_id: str, prefix: str, last: bool, via: str | None, depth: int) -> None:
        node = index[node_id]
        branch = "" if depth == 0 else ("└─ " if last else "├─ ")
        lines.append(prefix + branch + label(node, via) + (" (see above)" if node_id in drawn else ""))
        if node_id in drawn:
            return
        drawn.add(node_id)
        kids = out.get(node_id, [])
        child_prefix = prefix + ("" if depth == 0 else ("   " if last else "│  "))
        for i, (kind, target) in enumerate(kids):
            walk(target, child_prefix, i == len(kids) - 1, kind, depth + 1)

    for root in roots:
        walk(root, "", True, None, 0)
    if storyline.truncated:
        lines.append(f"… {storyline.truncated} more node(s) not shown (limit {MAX_NODES})")
    return "\n".join(lines)
