"""``garrison wrap --sandbox``, ``--watch`` and the block list, end to end with the SDK client."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from wrap_harness import wrap_command

pytestmark = pytest.mark.integration

PROBE = '''
import os
import subprocess
from mcp.server.mcpserver import MCPServer

server = MCPServer("probe")


@server.tool()
def probe(path: str) -> str:
    try:
        with open(os.path.expanduser(path)) as fh:
            fh.read()
        return "readable"
    except OSError as err:
        return "denied: " + (err.strerror or "error")


@server.tool()
def run_child(path: str) -> str:
    subprocess.run(["cat", os.path.expanduser(path)], stdout=subprocess.DEVNULL, check=False)
    return "ran"


server.run()
'''


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\ntest\n", encoding="ascii")
    (tmp_path / "probe.py").write_text(PROBE, encoding="utf-8")
    return home


def _call(tmp_path: Path, home: Path, tool: str, *options: str) -> str:
    env = {**os.environ, "HOME": str(home), "GARRISON_DB": str(tmp_path / "g.db")}
    argv = wrap_command([sys.executable, "probe.py"], *options)
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env, cwd=str(tmp_path))

    async def go() -> str:
        async with Client(params) as client:
            try:
                result = await client.call_tool(tool, {"path": "~/.ssh/id_rsa"})
            except MCPError as err:
                return f"refused: {err}"
            if result.is_error:
                return "error: " + result.content[0].text  # type: ignore[union-attr]
            return result.content[0].text  # type: ignore[union-attr]

    return anyio.run(go)


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed (scripts/install-system-deps)")
def test_strict_sandbox_hides_the_users_ssh_key(tmp_path: Path, home: Path) -> None:
    assert _call(tmp_path, home, "probe") == "readable"
    assert _call(tmp_path, home, "probe", "--sandbox", "strict").startswith("denied")


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="the sensors need Linux and root")
def test_watch_records_the_servers_child_and_its_key_read(tmp_path: Path, home: Path) -> None:
    from garrison.detect import Engine
    from garrison.events.reader import read_events
    from garrison.events.rulefiles import builtin_rules_dir, load_rule_paths

    events_file = tmp_path / "events.jsonl"
    assert _call(tmp_path, home, "run_child", "--watch", "--events", str(events_file)) == "ran"
    events = read_events(events_file).events
    images = {str(e.fields.get("Image", "")) for e in events if e.logsource.category == "process_creation"}
    assert any(image.endswith("/cat") for image in images), images
    load = load_rule_paths([builtin_rules_dir()])
    alerts = list(Engine(load.rules, correlations=load.correlations).run(events))
    assert any("T1552.004" in a.techniques for a in alerts), [a.rule for a in alerts]


def test_quarantine_in_the_block_list_refuses_calls(tmp_path: Path, home: Path) -> None:
    (tmp_path / "garrison.blocklist.yaml").write_text(
        "version: 1\nquarantined_servers:\n  - {server: probe, reason: lab test, added: '2026-11-25T00:00:00Z'}\n",
        encoding="utf-8",
    )
    assert _call(tmp_path, home, "probe", "--name", "probe") == (
        "refused: server 'probe' is quarantined by Garrison: lab test")
