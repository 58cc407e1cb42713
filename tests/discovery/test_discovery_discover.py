"""discover() over a fake machine: every client's config shape, on the Linux, macOS and Windows layouts."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from discovery_machine import Machine

from garrison.discovery import DiscoveryResult, default_catalog, default_home, discover
from garrison.errors import UsageError
from garrison.model import LaunchSpec


def run(m: Machine, **kwargs: Any) -> DiscoveryResult:
    return discover(home=m.home, environ=m.environ, cwd=m.project, platform=m.platform, **kwargs)


def summary(result: DiscoveryResult) -> set[tuple[str, str, str, str]]:
    return {(s.client or "", s.name, s.transport, s.scope or "") for s in result.servers}


def by_name(result: DiscoveryResult, client: str, name: str) -> LaunchSpec:
    (spec,) = [s for s in result.servers if s.client == client and s.name == name]
    return spec


def test_every_client_is_found_on_every_platform(machine: Machine) -> None:
    result = run(machine)
    assert result.errors == ()
    assert summary(result) == machine.expected
    assert {s.client for s in result.servers} == set(default_catalog().ids)


def test_entries_are_mapped_field_by_field(machine: Machine) -> None:
    result = run(machine)
    claude = str(machine.home / ".claude.json")
    assert by_name(result, "claude-code", "notes") == LaunchSpec(
        name="notes", transport="stdio", command="uvx", args=("notes-mcp",), env={"K": "v"},
        client="claude-code", config_path=claude, scope="user")
    assert by_name(result, "claude-code", "db") == LaunchSpec(
        name="db", transport="http", url="https://db.example/mcp", client="claude-code", config_path=claude,
        scope="project:/srv/app")
    codex_remote = by_name(result, "codex", "remote")
    assert codex_remote.disabled is True
    assert codex_remote.headers == {"Authorization": "Bearer ${REMOTE_TOKEN}"}
    assert by_name(result, "codex", "ctx").env == {"CTX_TOKEN": "t"}
    old = by_name(result, "zed", "old")
    assert (old.command, old.args, old.env) == ("/usr/bin/old-mcp", ("--stdio",), {"A": "1"})
    assert by_name(result, "zed", "ext").command is None
    github = by_name(result, "goose", "github")
    assert (github.command, github.args, github.env) == ("npx", ("-y", "@scope/github"),
                                                         {"GITHUB_PERSONAL_ACCESS_TOKEN": "secret"})
    assert by_name(result, "goose", "tracker").disabled is True
    assert by_name(result, "continue", "remote").headers == {"Authorization": "Bearer c"}
    assert by_name(result, "windsurf", "git").disabled is True
    assert by_name(result, "gemini-cli", "py").cwd == "./srv"
    assert by_name(result, "cursor", "docs").headers == {"Authorization": "Bearer abc"}


def test_goose_builtin_extensions_are_not_servers(machine: Machine) -> None:
    assert "developer" not in {s.name for s in run(machine).servers if s.client == "goose"}


def test_files_read_lists_existing_configs_only(machine: Machine) -> None:
    result = run(machine)
    assert all(Path(p).is_file() for p in result.files_read)
    assert str(machine.home / ".claude.json") in result.files_read
    assert len(result.files_read) == len(set(result.files_read))


def test_an_empty_machine_has_no_servers_and_no_errors(tmp_path: Path) -> None:
    result = discover(home=tmp_path, environ={"HOME": str(tmp_path)}, cwd=tmp_path, platform="linux")
    assert result == DiscoveryResult((), (), ())


def test_client_filter(make_machine: Callable[[str], Machine]) -> None:
    m = make_machine("linux")
    result = run(m, clients=["cursor", "codex"])
    assert {s.client for s in result.servers} == {"cursor", "codex"}
    assert {s.client for s in run(m, clients="zed,goose").servers} == {"zed", "goose"}


def test_unknown_client_is_a_usage_error(make_machine: Callable[[str], Machine]) -> None:
    with pytest.raises(UsageError, match="unknown client 'cursr'"):
        run(make_machine("linux"), clients=["cursr"])


def test_project_dirs_replace_the_working_directory(make_machine: Callable[[str], Machine]) -> None:
    m = make_machine("linux")
    other = m.root / "other"
    m.write_json(other / ".mcp.json", {"mcpServers": {"elsewhere": {"command": "x"}}})
    result = run(m, project_dirs=[Path("../../other")])
    scopes = {(s.name, s.scope) for s in result.servers if s.client == "claude-code"}
    assert ("elsewhere", f"project:{other}") in scopes
    assert not any(name == "team" for name, _ in scopes)


def test_a_file_reached_twice_is_read_once(make_machine: Callable[[str], Machine]) -> None:
    m = make_machine("linux")
    result = discover(home=m.home, environ=m.environ, cwd=m.home, platform="linux")
    cursor = [s for s in result.servers if s.client == "cursor"]
    assert sorted((s.name, s.scope) for s in cursor) == [("browser", "user"), ("docs", "user")]


def test_default_directories_when_variables_are_unset(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".config/goose").mkdir(parents=True)
    (home / ".config/goose/config.yaml").write_text("extensions:\n  a: {type: stdio, cmd: a}\n")
    (home / ".codex").mkdir()
    (home / ".codex/config.toml").write_text('[mcp_servers.b]\ncommand = "b"\n')
    (home / "AppData/Roaming/Claude").mkdir(parents=True)
    (home / "AppData/Roaming/Claude/claude_desktop_config.json").write_text(
        '{"mcpServers": {"c": {"command": "c"}}}')
    linux = discover(home=home, environ={"XDG_CONFIG_HOME": ""}, cwd=tmp_path, platform="linux")
    assert {s.name for s in linux.servers} == {"a", "b"}
    windows = discover(home=home, environ={}, cwd=tmp_path, platform="win32")
    assert {s.name for s in windows.servers} == {"b", "c"}


def test_discovery_never_writes(machine: Machine) -> None:
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in machine.root.rglob("*") if p.is_file()}
    run(machine)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in machine.root.rglob("*") if p.is_file()}
    assert after == before


def test_default_home_follows_the_platform() -> None:
    assert default_home({"HOME": "/h", "USERPROFILE": "C:/Users/u"}, "linux") == Path("/h")
    assert default_home({"HOME": "/h", "USERPROFILE": "C:/Users/u"}, "win32") == Path("C:/Users/u")
    assert default_home({"HOME": "/h"}, "win32") == Path("/h")
    assert default_home({}, "linux") == Path.home()


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads everything")
def test_an_unreadable_file_is_reported(make_machine: Callable[[str], Machine]) -> None:
    m = make_machine("linux")
    path = m.home / ".cursor/mcp.json"
    path.chmod(0)
    try:
        result = run(m)
    finally:
        path.chmod(0o600)
    assert [e.path for e in result.errors] == [str(path)]
    assert "cannot read" in result.errors[0].message
    assert ("claude-code", "notes", "stdio", "user") in summary(result)
