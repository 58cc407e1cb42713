"""Broken, oversized and oddly shaped config files are reported with path and line; the rest is still read."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from discovery_machine import Machine

from garrison.discovery import discover

BROKEN = {
    "json": ('{\n  "mcpServers": {\n    "a": {"command": "x",}\n  }\n}\n', 3),
    "jsonc": ('{\n  // ok\n  "mcpServers": {\n    "a": {"command" "x"}\n  }\n}\n', 4),
    "toml": ('[mcp_servers.a]\ncommand = "x"\nargs = [\n"unterminated\n', 4),
    "yaml": ("mcpServers:\n  - name: a\n    command: [x\n  - name: b\n", 4),
}


def _break(m: Machine, fmt: str) -> Path:
    text, _ = BROKEN[fmt]
    target = {
        "json": m.home / ".claude.json",
        "jsonc": m.home / ".cursor/mcp.json",
        "toml": Path(m.environ["CODEX_HOME"]) / "config.toml",
        "yaml": m.home / ".continue/config.yaml",
    }[fmt]
    return m.write(target, text)


@pytest.mark.parametrize("fmt", sorted(BROKEN))
def test_a_broken_file_names_path_and_line_and_others_are_still_read(
        make_machine: Callable[[str], Machine], fmt: str) -> None:
    m = make_machine("linux")
    path = _break(m, fmt)
    result = discover(home=m.home, environ=m.environ, cwd=m.project, platform="linux")
    assert [(e.path, e.line) for e in result.errors] == [(str(path), BROKEN[fmt][1])]
    assert str(result.errors[0]).startswith(f"{path}:{BROKEN[fmt][1]}")
    assert f"invalid {'JSON' if fmt.startswith('json') else fmt.upper()}" in result.errors[0].message
    found = {(s.client, s.name) for s in result.servers}
    assert ("goose", "github") in found
    assert ("zed", "hex") in found
    assert len(found) > 30


def test_several_broken_files_are_all_reported(make_machine: Callable[[str], Machine]) -> None:
    m = make_machine("darwin")
    paths = {str(_break(m, fmt)) for fmt in BROKEN}
    result = discover(home=m.home, environ=m.environ, cwd=m.project, platform="darwin")
    assert {e.path for e in result.errors} == paths
    assert all(e.line is not None for e in result.errors)
    assert ("windsurf", "zap") in {(s.client, s.name) for s in result.servers}


def test_an_oversized_file_is_reported_not_read(make_machine: Callable[[str], Machine]) -> None:
    m = make_machine("linux")
    big = m.home / ".cursor/mcp.json"
    result = discover(home=m.home, environ=m.environ, cwd=m.project, platform="linux",
                      max_file_bytes=big.stat().st_size - 1)
    over = [e for e in result.errors if e.path == str(big)]
    assert len(over) == 1
    assert "limit" in over[0].message
    assert str(big) not in result.files_read
    assert "cursor" not in {s.client for s in result.servers if s.scope == "user"}


def test_shape_errors_are_reported_and_good_entries_kept(tmp_path: Path) -> None:
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".cursor/mcp.json").write_text('{"mcpServers": {"ok": {"command": "x"}, "bad": "npx foo"}}')
    (tmp_path / ".gemini").mkdir()
    (tmp_path / ".gemini/settings.json").write_text('{"mcpServers": ["not", "a", "map"]}')
    (tmp_path / ".claude.json").write_text("[1, 2]")
    (tmp_path / ".continue").mkdir()
    (tmp_path / ".continue/config.yaml").write_text(
        "mcpServers:\n  - command: nameless\n  - name: good\n    command: g\n")
    (tmp_path / ".codex").mkdir()
    (tmp_path / ".codex/config.toml").write_text('mcp_servers = "nope"\n')
    result = discover(home=tmp_path, environ={}, cwd=tmp_path / "nowhere", platform="linux")
    assert {(s.client, s.name) for s in result.servers} == {("cursor", "ok"), ("continue", "good")}
    messages = sorted(f"{Path(e.path).name}: {e.message}" for e in result.errors)
    assert messages == [
        ".claude.json: expected an object at the top level",
        "config.toml: mcp_servers: expected an object or a list of servers",
        "config.yaml: mcpServers[0]: server entry has no 'name'",
        "mcp.json: mcpServers.bad: server entry must be an object",
        "settings.json: mcpServers[0]: server entry must be an object",
        "settings.json: mcpServers[1]: server entry must be an object",
        "settings.json: mcpServers[2]: server entry must be an object",
    ]


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".cursor/mcp.json").write_bytes(b'{\n"mcpServers": {\n"a\xff": {}}}')
    result = discover(home=tmp_path, environ={}, cwd=tmp_path, platform="linux")
    assert [(e.line, e.message) for e in result.errors] == [(3, "not valid UTF-8")]


def test_a_directory_where_a_file_should_be_is_reported(tmp_path: Path) -> None:
    (tmp_path / ".claude.json").mkdir()
    result = discover(home=tmp_path, environ={}, cwd=tmp_path, platform="linux")
    assert [e.path for e in result.errors] == [str(tmp_path / ".claude.json")]


def test_empty_yaml_and_missing_keys_are_not_errors(tmp_path: Path) -> None:
    (tmp_path / ".continue").mkdir()
    (tmp_path / ".continue/config.yaml").write_text("")
    (tmp_path / ".claude.json").write_text('{"numStartups": 1}')
    result = discover(home=tmp_path, environ={}, cwd=tmp_path, platform="linux")
    assert (result.servers, result.errors) == ((), ())
    assert len(result.files_read) == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_reported_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".claude.json")
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".cursor/mcp.json").write_text('{"mcpServers": {"ok": {"command": "x"}}}')
    result = discover(home=tmp_path, environ={}, cwd=tmp_path, platform="linux")
    assert [(e.path, e.message) for e in result.errors] == [
        (str(tmp_path / ".claude.json"), "is not a regular file; not read")]
    assert [s.name for s in result.servers] == ["ok"]
