"""The official MCP conformance suite, direct vs through ``garrison wrap``.

The suite speaks streamable HTTP to servers, so each stdio server is fronted by ``fixtures/http_bridge.py``;
the same bridge runs the server directly or as ``garrison wrap -- server``, and every per-check result must be
the same both ways. The fixture server must also pass every active server scenario. Needs
``scripts/install-conformance`` (Node 22 and the pinned suite in ``<repo>/.conformance``).
"""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from wrap_harness import FIXTURES, wrap_command

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("GARRISON_CONFORMANCE_DIR", REPO / ".conformance"))
BRIDGE = str(FIXTURES / "http_bridge.py")
CONFORMANCE_SERVER = [sys.executable, str(FIXTURES / "conformance_server.py")]
RUN_DIR = re.compile(r"^server-(?P<scenario>.+)-\d{4}-\d{2}-\d{2}T")
Results = Counter[tuple[str, str, str]]


@pytest.fixture(scope="module")
def tools() -> Path:
    if not (TOOLS / ".installed").is_file():
        pytest.skip(f"conformance suite not installed in {TOOLS}: run scripts/install-conformance")
    return TOOLS


@contextmanager
def bridge(command: list[str]) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, BRIDGE, "--", *command], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            if not selector.select(30):
                raise AssertionError("the HTTP bridge did not start within 30 s")
        line = proc.stdout.readline().decode()
        assert line.startswith("PORT "), line
        yield f"http://127.0.0.1:{int(line.split()[1])}/mcp"
    finally:
        proc.kill()  # its stdio servers see end of input and exit by themselves
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def results(out: Path) -> Results:
    """``(scenario, check id, status)`` of every non-INFO check (INFO lines are traces, not verdicts)."""
    found: Results = Counter()
    for checks in out.glob("server-*/checks.json"):
        match = RUN_DIR.match(checks.parent.name)
        assert match, checks
        for check in json.loads(checks.read_text()):
            if check["status"] != "INFO":
                found[(match["scenario"], check["id"], check["status"])] += 1
    return found


def everything_server(tools: Path) -> list[str]:
    entry = tools / "node_modules" / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
    return [str(tools / "bin" / "node"), str(entry), "stdio"]


@pytest.fixture(scope="module")
def suite_results(tools: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Results]:
    """Run the suite four times at once: fixture and server-everything, each direct and wrapped."""
    out = tmp_path_factory.mktemp("conformance")
    env = {**os.environ, "PATH": f"{tools / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    cli = str(tools / "node_modules" / ".bin" / "conformance")
    servers = {"fixture": CONFORMANCE_SERVER, "everything": everything_server(tools)}
    with ExitStack() as stack:
        runs = {}
        for label, server in servers.items():
            for mode, command in (("direct", server), ("wrapped", wrap_command(server, "--name", label))):
                url = stack.enter_context(bridge(command))
                runs[f"{label}/{mode}"] = subprocess.Popen(
                    [cli, "server", "--url", url, "-o", str(out / label / mode)], env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for run in runs.values():
            run.wait(300)
    return {key: results(out / key) for key in runs}


def test_fixture_server_passes_every_active_scenario(suite_results: dict[str, Results]) -> None:
    direct = suite_results["fixture/direct"]
    scenarios = {scenario for scenario, _, _ in direct}
    assert len(scenarios) >= 25, sorted(scenarios)
    assert [key for key in direct if key[2] == "FAILURE"] == []


@pytest.mark.parametrize("server", ["fixture", "everything"])
def test_wrapped_results_are_identical_to_direct(suite_results: dict[str, Results], server: str) -> None:
    direct, wrapped = suite_results[f"{server}/direct"], suite_results[f"{server}/wrapped"]
    assert sum(direct.values()) >= 25
    assert wrapped == direct
