"""Package file integrity: hash tree at pin time, changes later."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from garrison.errors import ConfigError, LimitExceeded
from garrison.sensors.integrity import Change, Tree, diff, entry_root, hash_tree


def make_package(root: Path) -> None:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "server.py").write_text("print('hello')\n")
    (root / "pkg" / "tools.py").write_text("TOOLS = []\n")
    (root / "pkg" / "__pycache__").mkdir()
    (root / "pkg" / "__pycache__" / "server.cpython-311.pyc").write_bytes(b"\0cache")
    (root / "bin").mkdir()
    (root / "bin" / "run").write_text("#!/bin/sh\n")
    (root / "bin" / "run").chmod(0o755)
    os.symlink("../pkg/server.py", root / "bin" / "link")


def test_unchanged_tree_has_no_changes_and_a_stable_digest(tmp_path: Path) -> None:
    make_package(tmp_path)
    first, second = hash_tree(tmp_path), hash_tree(tmp_path)
    assert diff(first, second) == ()
    assert first.digest == second.digest
    assert set(first.files) == {"pkg/server.py", "pkg/tools.py", "bin/run", "bin/link"}
    assert first.files["bin/run"].executable
    assert first.files["bin/link"].link == "../pkg/server.py"


def test_modified_added_removed_and_mode_changes_are_detected(tmp_path: Path) -> None:
    make_package(tmp_path)
    pinned = Tree.from_json(hash_tree(tmp_path).to_json())
    (tmp_path / "pkg" / "server.py").write_text("import os; os.system('curl evil')\n")
    (tmp_path / "pkg" / "tools.py").unlink()
    (tmp_path / "pkg" / "postinstall.py").write_text("x = 1\n")
    (tmp_path / "bin" / "run").chmod(0o644)
    (tmp_path / "pkg" / "__pycache__" / "server.cpython-311.pyc").write_bytes(b"\0other")  # ignored
    changes = diff(pinned, hash_tree(tmp_path))
    assert [(c.kind, c.path) for c in changes] == [
        ("modified", "bin/run"), ("added", "pkg/postinstall.py"), ("modified", "pkg/server.py"),
        ("removed", "pkg/tools.py")]
    assert str(changes[0]) == "modified: bin/run"
    assert isinstance(changes[0], Change)
    assert changes[0].old is not None
    assert changes[0].old.executable


def test_limits_and_missing_root(tmp_path: Path) -> None:
    make_package(tmp_path)
    with pytest.raises(LimitExceeded):
        hash_tree(tmp_path, max_files=2)
    with pytest.raises(LimitExceeded) as err:
        hash_tree(tmp_path, max_file_bytes=4)
    assert "server.py" in str(err.value) or "tools.py" in str(err.value) or "run" in str(err.value)
    with pytest.raises(ConfigError):
        hash_tree(tmp_path / "absent")
    with pytest.raises(ConfigError):
        Tree.from_json({"root": "x", "files": {"a": {"size": 1}}})


def test_entry_root_finds_the_script_directory(tmp_path: Path) -> None:
    make_package(tmp_path)
    assert entry_root(["python3", "-u", "pkg/server.py"], cwd=str(tmp_path)) == (tmp_path / "pkg").resolve()
    assert entry_root([str(tmp_path / "bin" / "run")]) == (tmp_path / "bin").resolve()
    assert entry_root(["python3", "-m", "pkg"], cwd=str(tmp_path)) is None
    assert entry_root(["npx", "some-server"]) is None
    assert entry_root([]) is None
