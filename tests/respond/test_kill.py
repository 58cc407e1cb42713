"""Killing a process tree: children first, the same process only (pid reuse), dry run by default."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from garrison.respond.kill import kill_tree, plan_order, process_start
from garrison.sensors.procfs import descendants, read_ppids

# A parent that starts two grandchildren-bearing children and waits; it prints its children's pids once they run.
_TREE = """
import subprocess, sys
kids = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) for _ in range(2)]
print(" ".join(str(k.pid) for k in kids), flush=True)
for k in kids:
    k.wait()
"""


@pytest.fixture
def tree():
    parent = subprocess.Popen([sys.executable, "-c", _TREE], stdout=subprocess.PIPE, text=True)
    kids = [int(p) for p in parent.stdout.readline().split()]
    yield parent, kids
    for pid in kids:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    parent.kill()
    parent.wait()
    parent.stdout.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_plan_order_is_children_first():
    ppids = {10: 1, 11: 10, 12: 10, 13: 11}
    order = plan_order(10, ppids)
    assert order[-1] == 10
    assert order.index(13) < order.index(11)
    assert set(order) == {10, 11, 12, 13}


@pytest.mark.integration
def test_dry_run_lists_the_tree_and_kills_nothing(tree):
    parent, kids = tree
    result = kill_tree(parent.pid, seen_at=time.time(), execute=False)
    assert result.ok
    assert not result.executed
    assert "would stop and kill 3 process(es)" in result.detail
    assert all(_alive(p) for p in [parent.pid, *kids])


@pytest.mark.integration
def test_execute_kills_the_whole_tree(tree):
    parent, kids = tree
    assert set(kids) <= set(descendants(parent.pid, read_ppids()))
    result = kill_tree(parent.pid, seen_at=time.time(), execute=True)
    assert result.ok
    assert result.executed
    assert parent.wait(timeout=10) == -9
    for pid in kids:
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            os.sched_yield()
        assert not _alive(pid)


@pytest.mark.integration
def test_a_process_started_after_it_was_seen_is_not_the_same_process(tree):
    parent, _kids = tree
    started = process_start(parent.pid)
    assert started is not None
    result = kill_tree(parent.pid, seen_at=started - 30, execute=True)
    assert not result.ok
    assert "reused" in result.detail
    assert _alive(parent.pid)


def test_refuses_init_self_and_missing():
    assert "refusing" in kill_tree(1, seen_at=None, execute=True).detail
    assert "refusing" in kill_tree(os.getpid(), seen_at=None, execute=True).detail
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    result = kill_tree(gone.pid, seen_at=None, execute=True)
    assert not result.ok
    assert "no such process" in result.detail


def test_refuses_a_tree_containing_garrison():
    result = kill_tree(os.getppid(), seen_at=None, execute=True)
    assert not result.ok
    assert "refusing" in result.detail
