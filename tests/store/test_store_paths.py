"""default_db_path per platform, and the pin-history helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePosixPath, PureWindowsPath

import pytest

from garrison.model import Definition, ServerSnapshot
from garrison.pins import approve, compare, pin
from garrison.store import PinRecord, default_db_path
from garrison.store.history import drift_records, lock_changes


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({}, "linux", PurePosixPath("/home/ann/.local/share/garrison/garrison.db")),
        ({"XDG_DATA_HOME": "/data"}, "linux", PurePosixPath("/data/garrison/garrison.db")),
        ({"XDG_DATA_HOME": "rel"}, "linux", PurePosixPath("/home/ann/.local/share/garrison/garrison.db")),
        ({}, "freebsd14", PurePosixPath("/home/ann/.local/share/garrison/garrison.db")),
        ({}, "darwin", PurePosixPath("/home/ann/Library/Application Support/Garrison/garrison.db")),
        ({"LOCALAPPDATA": r"C:\Users\ann\AppData\Local"}, "win32",
         PureWindowsPath(r"C:\Users\ann\AppData\Local\Garrison\garrison.db")),
        ({"GARRISON_DB": "/tmp/g.db", "XDG_DATA_HOME": "/data"}, "linux", PurePosixPath("/tmp/g.db")),
        ({"GARRISON_DB": ""}, "linux", PurePosixPath("/home/ann/.local/share/garrison/garrison.db")),
    ],
)
def test_default_db_path(environ: dict[str, str], platform: str, expected: object) -> None:
    assert default_db_path(environ, "/home/ann", platform) == expected


def test_windows_without_localappdata() -> None:
    assert default_db_path({}, r"C:\Users\ann", "win32") == PureWindowsPath(
        r"C:\Users\ann\AppData\Local\Garrison\garrison.db")


def snap(description: str) -> ServerSnapshot:
    return ServerSnapshot(name="fs", tools=(Definition("tool", {"name": "t", "description": description}),))


def test_history_records_for_pinning_approval_and_drift() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    first = pin([snap("a")], now=when)
    assert lock_changes(None, first, action="pinned", time=1.0) == [
        PinRecord(1.0, "fs", "tool:t", "pinned", None, first.servers["fs"].items["tool:t"])]
    drifts = compare(first, [snap("b")])
    assert drift_records(drifts, time=2.0) == [
        PinRecord(2.0, "fs", "tool:t", "drift", drifts[0].old_hash, drifts[0].new_hash)]
    second = approve(first, [snap("b")], "fs/t", now=when)
    assert lock_changes(first, second, action="approved", time=3.0) == [
        PinRecord(3.0, "fs", "tool:t", "approved", drifts[0].old_hash, drifts[0].new_hash)]
    assert lock_changes(second, second, action="approved", time=4.0) == []
