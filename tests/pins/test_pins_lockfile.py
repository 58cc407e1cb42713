"""Lockfile file I/O: format, validation errors naming the path, atomic save."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from garrison.errors import LimitExceeded, LockfileError
from garrison.model import Definition, ServerSnapshot
from garrison.pins import Lockfile, ServerPin, compare, pin

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def sample() -> Lockfile:
    snap = ServerSnapshot(
        name="fs",
        tools=(Definition("tool", {"name": "read_file", "description": "Reads a file.\u200b"}),),
        instructions="Use carefully.",
        server_info={"name": "fs-server", "version": "1.0"},
    )
    return pin([snap], now=NOW)


def doc() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sample().dumps())
    return data


def test_file_format_is_sorted_versioned_and_diffable(tmp_path: Path) -> None:
    path = tmp_path / "garrison.lock"
    sample().save(path)
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["version"] == 1
    assert list(data) == ["version", "servers", "definitions"]
    assert list(data["servers"]["fs"]) == sorted(data["servers"]["fs"])
    assert data["servers"]["fs"]["items"]["tool:read_file"].startswith("sha256:")
    assert data["definitions"]["fs"]["items"]["tool:read_file"]["description"] == "Reads a file.\u200b"
    assert "\\u200b" in text
    assert "\u200b" not in text
    assert text.endswith("}\n")
    assert "\n  " in text
    assert Lockfile.load(path) == sample()


def test_save_is_stable(tmp_path: Path) -> None:
    sample().save(tmp_path / "a.lock")
    Lockfile.load(tmp_path / "a.lock").save(tmp_path / "b.lock")
    assert (tmp_path / "a.lock").read_bytes() == (tmp_path / "b.lock").read_bytes()


def write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "garrison.lock"
    path.write_text(content, encoding="utf-8")
    return path


def test_bad_json_names_path_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "version": 1,\n  "servers": {,}\n}')
    with pytest.raises(LockfileError) as err:
        Lockfile.load(path)
    assert err.value.where == f"{path}:3:15"
    assert str(err.value).startswith(f"{path}:3:15: invalid JSON")


@pytest.mark.parametrize("version", [2, "1", None, True, 0])
def test_unknown_version_is_refused(tmp_path: Path, version: object) -> None:
    data = doc()
    data["version"] = version
    path = write(tmp_path, json.dumps(data))
    with pytest.raises(LockfileError, match="unknown lockfile version") as err:
        Lockfile.load(path)
    assert err.value.where == str(path)


def mutate(data: dict[str, Any], change: str) -> None:
    fs = data["servers"]["fs"]
    kept = data["definitions"]["fs"]
    if change == "bad-hash":
        fs["items"]["tool:read_file"] = "md5:abc"
    elif change == "bad-ref":
        fs["items"]["widget:x"] = fs["items"].pop("tool:read_file")
    elif change == "unknown-key":
        fs["trusted"] = True
    elif change == "kept-differs":
        kept["items"]["tool:read_file"]["description"] = "Something else."
    elif change == "kept-unpinned":
        kept["items"]["tool:other"] = {"name": "other"}
    elif change == "instructions-differ":
        kept["instructions"] = "Different."
    elif change == "stray-definitions":
        data["definitions"]["ghost"] = {"items": {}}
    elif change == "servers-list":
        data["servers"] = []
    elif change == "no-approved-at":
        del fs["approved_at"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("bad-hash", "item 'tool:read_file' must be a 'sha256:<64 hex>' hash"),
        ("bad-ref", "item 'widget:x' is not 'kind:key'"),
        ("unknown-key", "unknown key\\(s\\) trusted"),
        ("kept-differs", "kept 'tool:read_file' does not match its pinned hash"),
        ("kept-unpinned", "'tool:other' is kept but not pinned"),
        ("instructions-differ", "kept instructions do not match"),
        ("stray-definitions", "definitions kept for unpinned server\\(s\\) 'ghost'"),
        ("servers-list", "'servers' and 'definitions' must be objects"),
        ("no-approved-at", "'approved_at' must be a string"),
    ],
)
def test_inconsistent_lockfile_is_refused(tmp_path: Path, change: str, message: str) -> None:
    data = doc()
    mutate(data, change)
    path = write(tmp_path, json.dumps(data))
    with pytest.raises(LockfileError, match=message) as err:
        Lockfile.load(path)
    assert err.value.where == str(path)


def test_definitions_section_is_optional(tmp_path: Path) -> None:
    data = doc()
    del data["definitions"]
    lock = Lockfile.load(write(tmp_path, json.dumps(data)))
    assert lock.servers["fs"].items == sample().servers["fs"].items
    assert lock.servers["fs"].definitions == {}
    tool = Definition("tool", {"name": "read_file", "description": "New."})
    changed = ServerSnapshot(name="fs", tools=(tool,), instructions="Use carefully.",
                             server_info={"name": "fs-server", "version": "1.0"})
    [drift] = compare(lock, [changed])
    assert "-(pinned content not kept in the lockfile)" in drift.diff
    assert '+  "description": "New.",' in drift.diff


def test_missing_file_and_oversized_file(tmp_path: Path) -> None:
    with pytest.raises(LockfileError, match="cannot read lockfile") as err:
        Lockfile.load(tmp_path / "absent.lock")
    assert err.value.where == str(tmp_path / "absent.lock")
    path = write(tmp_path, json.dumps(doc()))
    with pytest.raises(LimitExceeded, match="larger than 100 bytes"):
        Lockfile.load(path, max_bytes=100)


def test_nan_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '{"version": 1, "servers": {}, "definitions": {"x": NaN}}')
    with pytest.raises(LockfileError, match="NaN is not allowed"):
        Lockfile.load(path)


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    deep = write(tmp_path, "[" * 100_000 + "]" * 100_000)
    with pytest.raises(LimitExceeded, match="nested too deeply"):
        Lockfile.load(deep)
    data = doc()
    nested: Any = "x"
    for _ in range(300):
        nested = [nested]
    data["definitions"]["fs"]["items"]["tool:read_file"]["deep"] = nested
    with pytest.raises(LockfileError, match="cannot be hashed"):
        Lockfile.load(write(tmp_path, json.dumps(data)))


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "garrison.lock"
    path.write_bytes(b'{"version": 1, "servers": {"\xff": {}}}')
    with pytest.raises(LockfileError, match="not UTF-8"):
        Lockfile.load(path)


def test_failed_save_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "garrison.lock"
    sample().save(path)
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(LockfileError, match="No space left on device") as err:
        pin([], now=NOW).save(path)
    assert err.value.where == str(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garrison.lock"]


def test_unserialisable_lockfile_writes_nothing(tmp_path: Path) -> None:
    entry = ServerPin(items={"tool:t": "sha256:" + "0" * 64}, definitions={"tool:t": {"x": float("nan")}})
    path = tmp_path / "garrison.lock"
    with pytest.raises(ValueError, match="Out of range float"):
        Lockfile({"fs": entry}).save(path)
    assert list(tmp_path.iterdir()) == []


def test_save_into_missing_directory_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "garrison.lock"
    with pytest.raises(LockfileError, match="cannot write lockfile") as err:
        sample().save(path)
    assert err.value.where == str(path)


def test_save_keeps_existing_permissions(tmp_path: Path) -> None:
    path = tmp_path / "garrison.lock"
    sample().save(path)
    assert path.stat().st_mode & 0o777 == 0o644
    path.chmod(0o600)
    sample().save(path)
    assert path.stat().st_mode & 0o777 == 0o600
