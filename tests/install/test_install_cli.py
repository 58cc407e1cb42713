"""``garrison install`` / ``uninstall`` through the public entry point, with the environment pointed at a fake
machine; and one real launch of a rewritten config with an empty environment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from install_machine import Machine, build_machine, snapshot_tree

from garrison.cli.main import main
from garrison.discovery import discover

ISOLATE = ("APPDATA", "XDG_CONFIG_HOME", "CODEX_HOME", "COPILOT_HOME", "CONTINUE_GLOBAL_DIR",
           "CLINE_MCP_SETTINGS_PATH", "USERPROFILE", "GARRISON_CLIENT", "GARRISON_PROJECT", "GARRISON_DRY_RUN",
           "GARRISON_BACKUP_DIR", "GARRISON_INSTALL_EXECUTABLE", "XDG_DATA_HOME", "GARRISON_DB")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake machine uses the POSIX layout")


@pytest.fixture
def posix_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Machine:
    m = build_machine(tmp_path / "machine", "darwin" if sys.platform == "darwin" else "linux")
    for name in ISOLATE:
        monkeypatch.delenv(name, raising=False)
    for name, value in m.environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GARRISON_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.chdir(m.project)
    return m


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_dry_run_prints_diffs_and_writes_nothing(posix_machine: Machine, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot_tree(posix_machine.root)
    code, out, err = run(capsys, "install", "--dry-run", "--executable", "/opt/g/garrison")
    assert code == 0
    assert snapshot_tree(posix_machine.root) == before
    assert f"--- {posix_machine.home / '.claude.json'}" in out
    assert '"command": "/opt/g/garrison"' in out
    assert "\n+" in out
    assert "not wrapped (remote; use garrison gateway)" in err
    assert "nothing was written" in err


def test_install_then_uninstall_round_trip(posix_machine: Machine, capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    before = snapshot_tree(posix_machine.root)
    code, out, err = run(capsys, "install", "--executable", "/opt/g/garrison")
    assert (code, out) == (0, "")
    assert f"backups in {tmp_path / 'backups'}" in err
    assert "restart the MCP clients" in err
    code, out, err = run(capsys, "uninstall")
    assert code == 0, err
    assert snapshot_tree(posix_machine.root) == before


def test_unreadable_config_exits_3_and_names_the_line(posix_machine: Machine,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = posix_machine.home / ".cursor/mcp.json"
    bad.write_text('{\n  "mcpServers": [\n')
    code, _, err = run(capsys, "install", "--executable", "/opt/g/garrison", "--client", "cursor")
    assert code == 3
    assert f"could not process {bad}:3" in err


def test_usage_errors_exit_2(posix_machine: Machine, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "install", "--executable", "relative/garrison")[0] == 2
    code, _, err = run(capsys, "install", "--client", "no-such-client")
    assert code == 2
    assert "unknown client" in err


def test_client_from_the_environment(posix_machine: Machine, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARRISON_CLIENT", "codex")
    monkeypatch.setenv("GARRISON_INSTALL_EXECUTABLE", "/opt/g/garrison")
    code, _, err = run(capsys, "install")
    assert code == 0
    assert "codex" in err
    assert "cursor" not in err


@pytest.mark.integration
@pytest.mark.timeout(60)
def test_rewritten_config_launches_with_an_empty_environment(posix_machine: Machine,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    server = str(Path(__file__).with_name("echo_server.py"))
    config = posix_machine.home / ".cursor/mcp.json"
    config.write_text(json.dumps({"mcpServers": {"echo": {"command": sys.executable, "args": [server]}}}))
    assert run(capsys, "install", "--client", "cursor")[0] == 0  # the default launcher of this installation
    [spec] = [s for s in discover(home=posix_machine.home, environ=posix_machine.environ, cwd=posix_machine.project,
                                  clients=["cursor"]).servers if s.name == "echo"]
    assert spec.command is not None
    assert Path(spec.command).is_absolute()
    assert "wrap" in spec.args
    request = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                          "clientInfo": {"name": "t", "version": "1"}}}
    with subprocess.Popen([spec.command, *spec.args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env={}, cwd="/") as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            _, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert line, stderr.decode(errors="replace")
    reply = json.loads(line)
    assert reply["id"] == 1
    assert reply["result"]["serverInfo"]["name"] == "echo"
