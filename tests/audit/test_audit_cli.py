"""``garrison audit verify`` end to end: exit 0 intact, 1 tampered (naming the record), 2 usage."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from garrison.cli.main import main
from garrison.model import Event, LogSource
from garrison.store import open_store

CALL = LogSource("mcp", "tool_call")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("GARRISON_DB", "GARRISON_AUDIT_ANCHOR", "GARRISON_AUDIT_FORMAT"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "store.db"
    store = open_store(str(path))
    store.append_audit([Event(float(i), CALL, {"server": "fs", "tool": "read_file", "decision": "pass"},
                              "garrison.wrap", id=f"call-{i}") for i in range(1, 5)])
    store.close()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_intact_chain_exits_0_and_prints_its_head(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "audit", "verify", "--db", str(db))
    assert code == 0
    assert out.startswith("ok: 4 records verified\nhead: sha256:")
    head = out.split("head: ")[1].strip()
    code, out, _ = run(capsys, "audit", "verify", "--db", str(db), "--anchor", head, "-f", "json")
    assert code == 0
    assert json.loads(out)["head"] == head
    assert json.loads(out)["ok"] is True


def test_a_tampered_row_exits_1_naming_the_first_bad_record(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE events SET fields = json_set(fields, '$.decision', 'deny') WHERE id = 'call-3'")
    conn.close()
    code, out, _ = run(capsys, "audit", "verify", "--db", str(db))
    assert code == 1
    assert out.startswith("TAMPERED at record 3 (id call-3): record 3 was changed after it was written")
    code, out, _ = run(capsys, "audit", "verify", "--db", str(db), "--format", "json")
    body = json.loads(out)
    assert (code, body["ok"], body["first_bad_id"], body["first_bad_pos"], body["checked"]) == (
        1, False, "call-3", 3, 2)


def test_a_cut_tail_is_caught_with_the_kept_head(db: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _, out, _ = run(capsys, "audit", "verify", "--db", str(db))
    head = out.split("head: ")[1].strip()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DELETE FROM events WHERE id = 'call-4'")
    conn.close()
    monkeypatch.setenv("GARRISON_AUDIT_ANCHOR", head)
    code, out, _ = run(capsys, "audit", "verify", "--db", str(db))
    assert code == 1
    assert "anchor" in out


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "audit", "verify", "--db", str(tmp_path / "missing.db"))
    assert code == 2
    assert "no store here" in err
    code, _, _ = run(capsys, "audit")
    assert code == 2
