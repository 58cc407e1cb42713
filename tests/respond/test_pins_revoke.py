"""Revoking a pin approval in garrison.lock: a whole server or one item; dry run changes nothing."""

from __future__ import annotations

from garrison.model import Definition, ServerSnapshot
from garrison.pins import Lockfile, pin
from garrison.respond.pins import revoke, revoke_in_file


def _lock() -> Lockfile:
    tools = tuple(Definition("tool", {"name": n, "description": f"{n} tool", "inputSchema": {"type": "object"}})
                  for n in ("export_notes", "list_notes"))
    return pin([ServerSnapshot("notes", tools=tools), ServerSnapshot("other", tools=tools[:1])])


def test_revoke_item_and_server():
    lock = _lock()
    without_item, detail = revoke(lock, "notes", "export_notes")
    assert set(without_item.servers["notes"].items) == {"tool:list_notes"}
    assert detail == "removed tool:export_notes from server 'notes'"
    without_server, _ = revoke(lock, "notes")
    assert set(without_server.servers) == {"other"}
    same, detail = revoke(lock, "missing")
    assert same is lock
    assert "not pinned" in detail


def test_revoke_in_file_dry_run_then_execute(tmp_path):
    path = tmp_path / "garrison.lock"
    _lock().save(path)
    before = path.read_text()
    planned = revoke_in_file("notes", "export_notes", path=path, execute=False)
    assert planned.ok
    assert not planned.executed
    assert path.read_text() == before
    done = revoke_in_file("notes", "export_notes", path=path, execute=True)
    assert done.executed
    assert "tool:export_notes" not in Lockfile.load(path).servers["notes"].items
    again = revoke_in_file("notes", "export_notes", path=path, execute=True)
    assert not again.executed
    assert "nothing to do" in again.detail


def test_missing_lockfile_is_a_failure(tmp_path):
    result = revoke_in_file("notes", path=tmp_path / "garrison.lock", execute=True)
    assert not result.ok
