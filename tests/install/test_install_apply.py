"""install/uninstall over a fake machine with every client's config: the public API of garrison.install."""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from install_machine import LAUNCHER, Machine, snapshot_tree, where

from garrison.discovery import discover
from garrison.install import install, load_records, uninstall
from garrison.model import LaunchSpec

CLOCK = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def now() -> datetime:
    return CLOCK


def found(m: Machine) -> list[LaunchSpec]:
    result = discover(home=m.home, environ=m.environ, cwd=m.project, platform=m.platform)
    assert result.complete, result.errors
    return list(result.servers)


def wrapped_form(spec: LaunchSpec) -> LaunchSpec:
    if spec.transport != "stdio" or spec.command is None:
        return spec
    return replace(spec, command=LAUNCHER[0], args=("wrap", "--name", spec.name, "--", spec.command, *spec.args))


def test_install_puts_every_stdio_server_behind_wrap(machine: Machine, tmp_path: Path) -> None:
    before = found(machine)
    report = install(where(machine), launcher=LAUNCHER, backup_root=tmp_path / "backups", now=now)
    assert report.complete, report
    after = found(machine)
    assert after == [wrapped_form(s) for s in before]
    stdio = {(s.client, s.name) for s in before if s.transport == "stdio" and s.command}
    assert {(f.client, e.server) for f in report.files for e in f.entries if e.action == "wrapped"} == stdio
    remote = {(f.client, e.server) for f in report.files for e in f.entries if e.action == "remote"}
    assert remote == {(s.client, s.name) for s in before if s.transport in ("http", "sse")}
    assert all(e.detail == "not wrapped (remote; use garrison gateway)"
               for f in report.files for e in f.entries if e.action == "remote")


def test_comments_and_layout_survive(linux_machine: Machine, tmp_path: Path) -> None:
    m = linux_machine
    install(where(m), launcher=LAUNCHER, backup_root=tmp_path / "backups", now=now)
    codex = (Path(m.environ["CODEX_HOME"]) / "config.toml").read_text()
    for kept in ("# Codex settings, kept by hand", "[mcp_servers.ctx]  # context server", "# the runner",
                 '  "-y",          # no prompt', "# dotted keys", "# inline table", 'CTX_TOKEN = "t"'):
        assert kept in codex
    assert 'short.args = ["wrap", "--name", "short", "--", "cargo"]' in codex
    cont = (m.home / ".continue/config.yaml").read_text()
    for kept in ("# Continue assistant config", "  # a local database",
                 "command: /opt/garrison/bin/garrison  # via npm", "      - -y  # do not prompt"):
        assert kept in cont
    zed = (m.user_dirs["zed"] / "settings.json").read_text()
    for kept in ("// Zed settings", "/* MCP servers */", '        "-y",  // no prompt', '"theme": "One Dark"'):
        assert kept in zed
    crlf = (m.project / ".cursor/mcp.json").read_bytes()
    assert crlf.count(b"\r\n") == 5
    assert b"\n" not in crlf.replace(b"\r\n", b"")
    assert b'// here' in crlf
    cursor = (m.home / ".cursor/mcp.json").read_text()
    assert "// global servers" in cursor
    assert "/* remote */" in cursor


def test_lines_other_than_command_and_args_are_untouched(linux_machine: Machine, tmp_path: Path) -> None:
    m = linux_machine
    path = m.user_dirs["zed"] / "settings.json"
    old = path.read_text().splitlines()
    install(where(m), launcher=LAUNCHER, backup_root=tmp_path / "backups", now=now)
    new = path.read_text().splitlines()
    changed_old = [line for line in old if line not in new]
    assert changed_old == ['      "command": "npx",',
                           '    "old": {"command": {"path": "/usr/bin/old-mcp", "args": ["--stdio"]}},']


def test_uninstall_restores_every_file_byte_for_byte(machine: Machine, tmp_path: Path) -> None:
    original = snapshot_tree(machine.root)
    modes = {p: os.stat(p).st_mode for p in original}
    backups = tmp_path / "backups"
    install(where(machine), launcher=LAUNCHER, backup_root=backups, now=now)
    assert snapshot_tree(machine.root) != original
    report = uninstall(where(machine), backup_root=backups, now=now)
    assert report.complete, report
    assert snapshot_tree(machine.root) == original
    assert {p: os.stat(p).st_mode for p in original} == modes
    assert all(f.message == "restored from backup" for f in report.files if f.status == "changed")
    again = uninstall(where(machine), backup_root=backups, now=now)
    assert {f.status for f in again.files} == {"unchanged"}


def test_dry_run_changes_nothing_and_shows_diffs(machine: Machine, tmp_path: Path) -> None:
    original = snapshot_tree(machine.root)
    report = install(where(machine), launcher=LAUNCHER, backup_root=tmp_path / "backups", dry_run=True, now=now)
    assert snapshot_tree(machine.root) == original
    assert not (tmp_path / "backups").exists()
    assert report.backup_dir is None
    changed = [f for f in report.files if f.status == "would-change"]
    assert changed
    assert all(f.diff.startswith(f"--- {f.path}\n+++ {f.path}\n") for f in changed)
    assert all(f.status in ("would-change", "unchanged") for f in report.files)


def test_second_install_is_a_no_op(machine: Machine, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    first = install(where(machine), launcher=LAUNCHER, backup_root=backups, now=now)
    state = snapshot_tree(machine.root)
    second = install(where(machine), launcher=LAUNCHER, backup_root=backups, now=now)
    assert snapshot_tree(machine.root) == state
    assert second.backup_dir is None
    assert len(list(backups.iterdir())) == 1
    assert {f.status for f in second.files} == {"unchanged"}
    wrapped = sorted((f.path, e.server) for f in first.files for e in f.entries if e.action == "wrapped")
    already = sorted((f.path, e.server) for f in second.files for e in f.entries if e.action == "already-wrapped")
    assert wrapped == already


def test_unparsable_file_is_untouched_and_reported_with_its_line(linux_machine: Machine, tmp_path: Path) -> None:
    m = linux_machine
    broken = m.home / ".cursor/mcp.json"
    text = '{\n  "mcpServers": {\n    "a": {"command": "npx",, }\n  }\n}\n'
    broken.write_text(text)
    report = install(where(m), launcher=LAUNCHER, backup_root=tmp_path / "backups", now=now)
    assert broken.read_text() == text
    [failed] = [f for f in report.files if f.status == "failed"]
    assert failed.path == str(broken)
    assert failed.message.startswith(f"{broken}:3:")
    assert not report.complete
    assert sum(f.status == "changed" for f in report.files) > 5


def test_concurrent_edit_is_detected_and_the_other_writer_wins(linux_machine: Machine, tmp_path: Path) -> None:
    m = linux_machine
    target = m.home / ".claude.json"
    theirs = json.dumps({"mcpServers": {}, "numStartups": 4})

    def meanwhile(path: str) -> None:
        if path == str(target):
            target.write_text(theirs)

    backups = tmp_path / "backups"
    report = install(where(m), launcher=LAUNCHER, backup_root=backups, now=now, before_replace=meanwhile)
    assert target.read_text() == theirs
    [failed] = [f for f in report.files if f.status == "failed"]
    assert failed.path == str(target)
    assert "changed while Garrison was editing it" in failed.message
    assert not report.complete
    records, problems = load_records(backups)
    assert problems == []
    assert [r.status for r in records if r.path == str(target)] == ["aborted"]
    assert all(r.status == "written" for r in records if r.path != str(target))
    assert not list(target.parent.glob(".*.garrison-tmp"))


def test_backup_manifest_records_hashes_and_original_bytes(linux_machine: Machine, tmp_path: Path) -> None:
    import hashlib

    m = linux_machine
    original = snapshot_tree(m.root)
    backups = tmp_path / "backups"
    report = install(where(m), launcher=LAUNCHER, backup_root=backups, now=now)
    assert report.backup_dir == str(backups / "20260301T120000Z-000-install")
    records, _ = load_records(backups)
    changed = {f.path for f in report.files if f.status == "changed"}
    assert {r.path for r in records} == changed
    for r in records:
        assert r.original_bytes() == original[r.path]
        assert r.original_sha256 == hashlib.sha256(original[r.path]).hexdigest()
        assert r.written_sha256 == hashlib.sha256(Path(r.path).read_bytes()).hexdigest()
        assert r.operation == "install"
        assert r.status == "written"
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(report.backup_dir).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(Path(report.backup_dir) / "manifest.json").st_mode) == 0o600


def test_uninstall_after_a_user_edit_unwraps_in_place_and_keeps_the_edit(linux_machine: Machine,
                                                                          tmp_path: Path) -> None:
    m = linux_machine
    path = Path(m.environ["CODEX_HOME"]) / "config.toml"
    backups = tmp_path / "backups"
    install(where(m), launcher=LAUNCHER, backup_root=backups, now=now)
    path.write_text(path.read_text() + '\n[mcp_servers.added]  # mine\ncommand = "added-mcp"\n')
    report = uninstall(where(m), backup_root=backups, now=now)
    [result] = [f for f in report.files if f.path == str(path)]
    assert result.status == "changed"
    assert result.message == "unwrapped in place"
    text = path.read_text()
    assert "# mine" in text
    assert 'command = "added-mcp"' in text
    assert "garrison" not in text
    specs = {s.name: s for s in found(m) if s.client == "codex"}
    assert specs["ctx"].command == "npx"
    assert specs["ctx"].args == ("-y", "@scope/ctx")
    assert specs["short"].command == "cargo"
    assert specs["short"].args == ()


def test_symlinked_config_is_written_through_and_the_link_kept(linux_machine: Machine, tmp_path: Path) -> None:
    m = linux_machine
    link = m.home / ".cursor/mcp.json"
    real = tmp_path / "dotfiles/cursor-mcp.json"
    real.parent.mkdir()
    real.write_bytes(link.read_bytes())
    link.unlink()
    link.symlink_to(real)
    real.chmod(0o640)
    install(where(m), launcher=LAUNCHER, backup_root=tmp_path / "backups", now=now)
    assert link.is_symlink()
    assert "wrap" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_client_filter_limits_the_files(linux_machine: Machine, tmp_path: Path) -> None:
    m = linux_machine
    report = install(replace(where(m), clients=["codex", "zed"]), launcher=LAUNCHER,
                     backup_root=tmp_path / "backups", now=now)
    assert {f.client for f in report.files} == {"codex", "zed"}
    assert "wrap" not in (m.home / ".cursor/mcp.json").read_text()


def test_uninstall_walks_back_through_several_installs(linux_machine: Machine, tmp_path: Path) -> None:
    m = linux_machine
    path = m.home / ".claude.json"
    original = path.read_bytes()
    backups = tmp_path / "backups"
    install(where(m), launcher=LAUNCHER, backup_root=backups, now=now)
    doc = json.loads(path.read_text())
    doc["mcpServers"]["later"] = {"command": "later-mcp"}
    path.write_text(json.dumps(doc))
    second = install(where(m), launcher=LAUNCHER, backup_root=backups, now=now)
    assert [e.action for f in second.files if f.path == str(path) for e in f.entries if e.action == "wrapped"] \
        == ["wrapped"]
    uninstall(where(m), backup_root=backups, now=now)
    specs = {s.name: s for s in found(m) if s.client == "claude-code"}
    assert specs["notes"].command == "uvx"
    assert specs["later"].command == "later-mcp"
    assert "garrison" not in path.read_text()
    assert path.read_bytes() != original  # the user's own edit is kept


def test_uninstall_dry_run_shows_the_restore(linux_machine: Machine, tmp_path: Path) -> None:
    m = linux_machine
    backups = tmp_path / "backups"
    install(where(m), launcher=LAUNCHER, backup_root=backups, now=now)
    state = snapshot_tree(m.root)
    report = uninstall(where(m), backup_root=backups, dry_run=True, now=now)
    assert snapshot_tree(m.root) == state
    assert len(list(backups.iterdir())) == 1
    restored = [f for f in report.files if f.status == "would-change"]
    assert restored
    assert all(f.message == "restored from backup" and "-" in f.diff for f in restored)


def test_a_run_stopped_before_its_manifest_said_written_is_still_undone(linux_machine: Machine,
                                                                         tmp_path: Path) -> None:
    m = linux_machine
    original = snapshot_tree(m.root)
    backups = tmp_path / "backups"
    report = install(where(m), launcher=LAUNCHER, backup_root=backups, now=now)
    assert report.backup_dir is not None
    manifest = Path(report.backup_dir) / "manifest.json"
    doc = json.loads(manifest.read_text())
    for entry in doc["files"]:
        entry["status"] = "pending"
    manifest.write_text(json.dumps(doc))
    uninstall(where(m), backup_root=backups, now=now)
    assert snapshot_tree(m.root) == original


def test_an_edit_that_does_not_read_back_is_never_written(linux_machine: Machine, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from garrison.install import rewrite

    for fmt in ("json", "jsonc"):
        broken = replace(rewrite._SYNTAX[fmt], string=lambda value: '"' + value)  # an unterminated string
        monkeypatch.setitem(rewrite._SYNTAX, fmt, broken)
    m = linux_machine
    before = snapshot_tree(m.root)
    report = install(where(m), launcher=LAUNCHER, backup_root=tmp_path / "backups", now=now)
    failed = [f for f in report.files if f.status == "failed"]
    assert len(failed) >= 10
    assert all("would not parse" in f.message for f in failed)
    assert all(f.path.endswith(".json") for f in failed)
    assert all(f.status == "unchanged" for f in report.files if f.path.endswith(".json") and f not in failed)
    assert all(snapshot_tree(m.root)[f.path] == before[f.path] for f in failed)
    assert not report.complete
