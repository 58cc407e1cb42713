"""The process tree: kernel events in, Sigma events out, with no kernel involved."""

from __future__ import annotations

from garrison.model import Event
from garrison.sensors.proc_events import ProcEvent
from garrison.sensors.procfs import ProcSnapshot
from garrison.sensors.tree import ProcessTree


def snap(pid: int, ppid: int, image: str | None = "/usr/bin/node", argv: tuple[str, ...] | None = ("node", "s.js"),
         start: int = 1) -> ProcSnapshot:
    return ProcSnapshot(pid, ppid, image, argv, "/srv" if image else None, 0 if image else None, 0, start)


def only(events: list[Event]) -> Event:
    assert len(events) == 1
    return events[0]


def rooted() -> tuple[ProcessTree, Event]:
    tree = ProcessTree("boot", user_of=lambda uid: f"u{uid}")
    created = only(tree.attach([snap(100, 1)], "files", time=1.0,
                               parent=snap(1, 0, "/sbin/init", ("init",))))
    return tree, created


def test_attach_reports_root_with_outside_parent() -> None:
    _, event = rooted()
    assert event.logsource.category == "process_creation"
    assert event.fields["Image"] == "/usr/bin/node"
    assert event.fields["ParentImage"] == "/sbin/init"
    assert event.fields["Enrichment"] == "attached"
    assert event.fields["User"] == "u0"
    assert event.links["server"] == "files"
    assert event.links["process_guid"] == event.fields["ProcessGuid"]


def test_fork_exec_exit_of_a_child() -> None:
    tree, root = rooted()
    assert tree.apply(ProcEvent("fork", 10, 101, 101, 100, 100), None, time=2.0) == []
    assert tree.needs_snapshot(ProcEvent("exec", 11, 101, 101))
    created = only(tree.apply(ProcEvent("exec", 11, 101, 101), snap(101, 100, "/usr/bin/curl", ("curl", "x")),
                              time=3.0))
    assert created.fields["CommandLine"] == "curl x"
    assert created.fields["ParentImage"] == "/usr/bin/node"
    assert created.fields["ParentProcessGuid"] == root.fields["ProcessGuid"]
    assert created.links["parent_guid"] == root.fields["ProcessGuid"]
    assert created.fields["Enrichment"] == "complete"
    ended = only(tree.apply(ProcEvent("exit", 12, 101, 101, 100, 100, exit_code=2 << 8), None, time=4.0))
    assert ended.logsource.category == "process_termination"
    assert ended.fields["ExitCode"] == 2
    assert ended.fields["ProcessGuid"] == created.fields["ProcessGuid"]
    assert not tree.is_watched(101)
    late = tree.lookup(101)
    assert late is not None
    assert late.image == "/usr/bin/curl"


def test_exec_after_the_process_vanished_is_partial_not_stale() -> None:
    tree, _ = rooted()
    tree.apply(ProcEvent("fork", 10, 101, 101, 100, 100), None, time=2.0)
    event = only(tree.apply(ProcEvent("exec", 11, 101, 101), None, time=3.0))
    assert event.fields["Enrichment"] == "partial"
    assert "Image" not in event.fields  # not the parent's image inherited at fork
    assert event.fields["ParentImage"] == "/usr/bin/node"
    zombie = snap(101, 100, image=None, argv=None)
    event = only(tree.apply(ProcEvent("exec", 12, 101, 101), zombie, time=3.0))
    assert event.fields["Enrichment"] == "partial"


def test_unrelated_processes_and_threads_are_ignored() -> None:
    tree, _ = rooted()
    assert tree.apply(ProcEvent("fork", 1, 555, 555, 2, 2), None, time=1.0) == []
    assert not tree.is_watched(555)
    assert not tree.needs_snapshot(ProcEvent("exec", 1, 555, 555))
    assert tree.apply(ProcEvent("fork", 1, 102, 100, 100, 100), None, time=1.0) == []  # a thread of the root
    assert not tree.is_watched(102)


def test_adoption_while_launching() -> None:
    tree = ProcessTree("boot")
    tree.adopt_children_of(snap(50, 1, "/usr/bin/python3", ("python3", "-m", "garrison")), "srv")
    tree.apply(ProcEvent("fork", 1, 60, 60, 50, 50), None, time=1.0)
    tree.stop_adopting()
    tree.apply(ProcEvent("fork", 1, 61, 61, 50, 50), None, time=1.0)
    assert tree.is_watched(60)
    assert not tree.is_watched(61)
    event = only(tree.apply(ProcEvent("exec", 2, 60, 60), snap(60, 50), time=2.0))
    assert event.fields["ParentImage"] == "/usr/bin/python3"
    assert event.links["server"] == "srv"


def test_watch_limit_counts_what_it_did_not_follow() -> None:
    tree = ProcessTree("boot", max_watched=2)
    tree.attach([snap(100, 1)], "s", time=1.0)
    tree.apply(ProcEvent("fork", 1, 101, 101, 100, 100), None, time=1.0)
    tree.apply(ProcEvent("fork", 1, 102, 102, 100, 100), None, time=1.0)
    assert tree.overflowed == 1
    assert not tree.is_watched(102)


def test_polling_reconciles_new_and_gone_processes() -> None:
    tree, root = rooted()
    listing = {1: 0, 100: 1, 101: 100, 102: 101, 300: 1}
    events = tree.poll(listing, lambda pid: snap(pid, listing[pid], "/bin/sh", ("sh",)), time=5.0)
    assert [(e.logsource.category, e.fields["ProcessId"]) for e in events] == [
        ("process_creation", 101), ("process_creation", 102)]
    assert events[1].fields["ParentProcessGuid"] == events[0].fields["ProcessGuid"]
    events = tree.poll({1: 0, 100: 1}, lambda pid: None, time=6.0)
    assert sorted((e.logsource.category, e.fields["ProcessId"]) for e in events) == [
        ("process_termination", 101), ("process_termination", 102)]
    assert root.fields["ProcessId"] == 100
    assert tree.is_watched(100)
