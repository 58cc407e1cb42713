"""Real confinement on this machine: a sandboxed process cannot read a fake ~/.ssh key, cannot reach a listener
on 127.0.0.1, and can still use the directory it was given; a real MCP server still answers through it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from garrison.sandbox import prepare
from garrison.sandbox.backends import BackendFacts

pytestmark = pytest.mark.integration

PROBE = """
import json, os, socket, sys
data = sys.argv[1]
out = {}
def attempt(name, action):
    try:
        action()
        out[name] = "ok"
    except OSError as err:
        out[name] = type(err).__name__
attempt("read_key", lambda: open(os.environ["PROBE_KEY"]).read())
attempt("write_home", lambda: open(os.environ["PROBE_HOME_FILE"], "w").write("x"))
attempt("read_data", lambda: open(os.path.join(data, "input.txt")).read())
attempt("write_data", lambda: open(os.path.join(data, "output.txt"), "w").write("written inside"))
def connect():
    with socket.create_connection(("127.0.0.1", int(os.environ["PROBE_PORT"])), timeout=5):
        pass
attempt("connect", connect)
print(json.dumps(out))
"""


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield server.getsockname()[1]


def usable(name: str, facts: BackendFacts) -> None:
    if name == "bwrap" and facts.bwrap is None:
        pytest.skip(f"bubblewrap unavailable: {facts.bwrap_problem}")
    if name == "landlock" and facts.landlock_abi < 1:
        pytest.skip("Landlock is not enabled in this kernel")


def run_probe(argv: tuple[str, ...], home: Path, port: int) -> dict[str, Any]:
    env = {**os.environ, "PROBE_KEY": str(home / ".ssh" / "id_rsa"), "PROBE_PORT": str(port),
           "PROBE_HOME_FILE": str(home / "planted")}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def probe(backend: str, profile: str, facts: BackendFacts, home: Path, data: Path, port: int) -> dict[str, Any]:
    usable(backend, facts)
    argv = [sys.executable, "-c", PROBE, str(data)]
    cmd = prepare(argv, profile, home=str(home), environ=os.environ, cwd=str(data.parent), backend=backend,
                  backend_facts=facts)
    assert cmd.backend == backend
    result = run_probe(cmd.argv, home, port)
    assert not (home / "planted").exists()  # nothing reached the real home
    return result


def test_unsandboxed_probe_reaches_everything(home: Path, data_dir: Path, listener: int) -> None:
    cmd = prepare([sys.executable, "-c", PROBE, str(data_dir)], "none", home=str(home), environ=os.environ)
    seen = run_probe(cmd.argv, home, listener)
    assert seen == dict.fromkeys(("read_key", "write_home", "read_data", "write_data", "connect"), "ok")
    assert (home / "planted").exists()


@pytest.mark.parametrize("backend", ["bwrap", "landlock"])
def test_filesystem_profile_confines(backend: str, backend_facts: BackendFacts, home: Path, data_dir: Path,
                                     listener: int) -> None:
    seen = probe(backend, "filesystem", backend_facts, home, data_dir, listener)
    assert seen["read_key"] in ("FileNotFoundError", "PermissionError")
    assert seen["connect"] in ("ConnectionRefusedError", "PermissionError", "OSError")
    assert seen["read_data"] == "ok"
    assert seen["write_data"] == "ok"
    assert (data_dir / "output.txt").read_text() == "written inside"


@pytest.mark.parametrize("backend", ["bwrap", "landlock"])
def test_strict_profile_makes_server_paths_read_only(backend: str, backend_facts: BackendFacts, home: Path,
                                                     data_dir: Path, listener: int) -> None:
    seen = probe(backend, "strict", backend_facts, home, data_dir, listener)
    assert seen["read_key"] in ("FileNotFoundError", "PermissionError")
    assert seen["connect"] != "ok"
    assert seen["read_data"] == "ok"
    assert seen["write_data"] in ("PermissionError", "OSError")
    assert not (data_dir / "output.txt").exists()


def test_network_profile_reaches_the_listener(backend_facts: BackendFacts, home: Path, data_dir: Path,
                                              listener: int) -> None:
    seen = probe("bwrap", "network", backend_facts, home, data_dir, listener)
    assert seen["connect"] == "ok"
    assert seen["read_key"] == "FileNotFoundError"


def test_landlock_launcher_refuses_rather_than_running_unconfined(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "garrison.sandbox.landlock_exec", "--ro", str(tmp_path / "nope"),
                           "--", "true"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 126
    assert "refusing to start 'true'" in done.stderr


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["bwrap", "landlock"])
async def test_real_mcp_server_answers_tools_list(backend: str, backend_facts: BackendFacts, home: Path) -> None:
    from mcp import Client, StdioServerParameters

    usable(backend, backend_facts)
    cmd = prepare([sys.executable, "-m", "garrison.lab.servers.benign_report"], "strict", home=str(home),
                  environ=os.environ, backend=backend, backend_facts=backend_facts)
    params = StdioServerParameters(command=cmd.argv[0], args=list(cmd.argv[1:]))
    async with Client(params, cache=None) as client:
        tools = (await client.list_tools()).tools
    assert [t.name for t in tools] == ["daily_report_analysis"]
