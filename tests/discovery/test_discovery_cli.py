"""``garrison inventory`` through the public entry point, with the environment pointed at a fake machine."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from discovery_machine import Machine, build_machine

from garrison.cli.main import main

ISOLATE = ("APPDATA", "XDG_CONFIG_HOME", "CODEX_HOME", "COPILOT_HOME", "CONTINUE_GLOBAL_DIR",
           "CLINE_MCP_SETTINGS_PATH", "USERPROFILE", "GARRISON_FORMAT", "GARRISON_CLIENT", "GARRISON_PROJECT")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake machine uses the POSIX layout")


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Machine:
    m = build_machine(tmp_path, "darwin" if sys.platform == "darwin" else "linux")
    for name in ISOLATE:
        monkeypatch.delenv(name, raising=False)
    for name, value in m.environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(m.project)
    return m


def inventory(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["inventory", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_shape(machine: Machine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = inventory(capsys, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"version", "servers", "errors", "files_read"}
    assert doc["errors"] == []
    assert {(s["client"], s["name"], s["transport"], s["scope"]) for s in doc["servers"]} == machine.expected
    notes = next(s for s in doc["servers"] if s["name"] == "notes")
    assert notes == {
        "name": "notes", "client": "claude-code", "config_path": str(machine.home / ".claude.json"),
        "scope": "user", "transport": "stdio", "command": "uvx", "args": ["notes-mcp"], "url": None,
        "cwd": None, "env": {"K": "****"}, "headers": {}, "disabled": False,
    }
    assert "server(s)" in err


def test_secrets_never_reach_the_output(machine: Machine, capsys: pytest.CaptureFixture[str]) -> None:
    token = "ghp_" + "Q" * 36
    machine.write_json(machine.home / ".cursor/mcp.json", {"mcpServers": {
        "leaky": {"command": "npx", "args": ["srv", "--api-key=sk-live-123", "--token", token],
                  "env": {"SECRET_ENV": "env-value-1"}},
        "remote": {"url": "https://me:pw-value-2@h.example/mcp?token=tok-value-3",
                   "headers": {"Authorization": "Bearer hdr-value-4"}},
    }})
    for fmt in ("json", "table"):
        code, out, err = inventory(capsys, "--format", fmt, "--client", "cursor")
        assert code == 0
        for secret in ("sk-live-123", token, "env-value-1", "pw-value-2", "tok-value-3", "hdr-value-4"):
            assert secret not in out + err
    doc = json.loads(inventory(capsys, "--format", "json", "--client", "cursor")[1])
    leaky = next(s for s in doc["servers"] if s["name"] == "leaky")
    assert leaky["args"] == ["srv", "--api-key=****", "--token", "****"]


def test_table_lists_every_server(machine: Machine, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    code, out, _ = inventory(capsys)
    assert code == 0
    for client, name, _, _ in machine.expected:
        assert name in out
        assert client in out


def test_broken_config_exits_3_and_still_lists_the_rest(machine: Machine,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    broken = machine.write(machine.home / ".codeium/windsurf/mcp_config.json", '{\n  "mcpServers": {\n}}}\n')
    code, out, err = inventory(capsys, "--format", "json")
    assert code == 3
    doc = json.loads(out)
    assert doc["errors"] == [{"path": str(broken), "line": 3, "column": 3,
                              "message": "invalid JSON: Extra data"}]
    assert f"{broken}:3:3" in err
    assert len(doc["servers"]) == len(machine.expected) - 2


def test_client_and_project_options(machine: Machine, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    other = machine.root / "other"
    machine.write_json(other / ".mcp.json", {"mcpServers": {"other-team": {"command": "x"}}})
    code, out, _ = inventory(capsys, "--format", "json", "--client", "claude-code", "--project", str(other))
    assert code == 0
    names = {s["name"] for s in json.loads(out)["servers"]}
    assert names == {"notes", "db", "other-team"}
    monkeypatch.setenv("GARRISON_CLIENT", "zed,goose")
    monkeypatch.setenv("GARRISON_FORMAT", "json")
    code, out, _ = inventory(capsys)
    assert {s["client"] for s in json.loads(out)["servers"]} == {"zed", "goose"}


def test_unknown_client_is_a_usage_error(machine: Machine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = inventory(capsys, "--client", "nope")
    assert code == 2
    assert out == ""
    assert "unknown client 'nope'" in err


def test_bad_format_from_the_environment_is_a_usage_error(
        machine: Machine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARRISON_FORMAT", "sarif")
    code, _, err = inventory(capsys)
    assert code == 2
    assert "--format must be one of" in err


def test_command_line_overrides_the_environment(machine: Machine, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARRISON_CLIENT", "zed")
    code, out, _ = inventory(capsys, "--format", "json", "--client", "codex", "--client", "cursor")
    assert code == 0
    assert {s["client"] for s in json.loads(out)["servers"]} == {"codex", "cursor"}


def test_nothing_found_prints_no_table(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ISOLATE:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    code, out, err = inventory(capsys)
    assert (code, out) == (0, "")
    assert "0 server(s)" in err
