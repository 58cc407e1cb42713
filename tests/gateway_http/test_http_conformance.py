"""The official MCP conformance suite through ``garrison gateway`` must give per-check results identical to the
fixture server direct. The gateway fronts the fixture with ``prefix: ""`` (transparent names), once over stdio
and once over streamable HTTP. Needs ``scripts/install-conformance``; skipped with that reason otherwise.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest
from gateway_http_support import run_gateway

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("GARRISON_CONFORMANCE_DIR", REPO / ".conformance"))
FIXTURES = REPO / "tests" / "gateway" / "fixtures"
FIXTURE_SERVER = [sys.executable, str(FIXTURES / "conformance_server.py")]
RUN_DIR = re.compile(r"^server-(?P<scenario>.+)-\d{4}-\d{2}-\d{2}T")
Results = Counter[tuple[str, str, str]]


def results(out: Path) -> Results:
    found: Results = Counter()
    for checks in out.glob("server-*/checks.json"):
        match = RUN_DIR.match(checks.parent.name)
        assert match, checks
        for check in json.loads(checks.read_text()):
            if check["status"] != "INFO":
                found[(match["scenario"], check["id"], check["status"])] += 1
    return found


def bridge(stack: ExitStack) -> str:
    proc = subprocess.Popen([sys.executable, str(FIXTURES / "http_bridge.py"), "--", *FIXTURE_SERVER],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    stack.callback(proc.wait)
    stack.callback(proc.kill)
    assert proc.stdout is not None
    stack.callback(proc.stdout.close)
    line = proc.stdout.readline().decode()
    assert line.startswith("PORT "), line
    return f"http://127.0.0.1:{int(line.split()[1])}/mcp"


def gateway_config(upstream: str) -> str:
    return ("listen: 127.0.0.1:0\nunsafe_allow_anonymous: true\nupstreams:\n  - name: fixture\n"
            f"    prefix: \"\"\n    timeout: 30\n{upstream}")


@pytest.fixture(scope="module")
def suite_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Results]:
    if not (TOOLS / ".installed").is_file():
        pytest.skip(f"conformance suite not installed in {TOOLS}: run scripts/install-conformance")
    out = tmp_path_factory.mktemp("conformance")
    env = {**os.environ, "PATH": f"{TOOLS / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    cli = str(TOOLS / "node_modules" / ".bin" / "conformance")
    args = ", ".join(FIXTURE_SERVER[1:])
    with ExitStack() as stack:
        direct = bridge(stack)
        upstream_url = bridge(stack)
        urls = {"direct": direct}
        stdio = gateway_config(f"    command: {FIXTURE_SERVER[0]}\n    args: [{args}]\n")
        http = gateway_config(f"    url: {upstream_url}\n")
        for mode, body in (("gateway-stdio", stdio), ("gateway-http", http)):
            tmp = tmp_path_factory.mktemp(mode)
            urls[mode] = stack.enter_context(run_gateway(tmp, body)).url + "/mcp"
        runs = {mode: subprocess.Popen([cli, "server", "--url", url, "-o", str(out / mode)], env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for mode, url in urls.items()}
        for run in runs.values():
            run.wait(300)
    return {mode: results(out / mode) for mode in runs}


def test_direct_run_is_complete(suite_results: dict[str, Results]) -> None:
    direct = suite_results["direct"]
    assert len({scenario for scenario, _, _ in direct}) >= 25
    assert [key for key in direct if key[2] == "FAILURE"] == []


@pytest.mark.parametrize("mode", ["gateway-stdio", "gateway-http"])
def test_gateway_results_are_identical_to_direct(suite_results: dict[str, Results], mode: str) -> None:
    direct, through = suite_results["direct"], suite_results[mode]
    assert sorted(set(through) - set(direct)) == []
    assert sorted(set(direct) - set(through)) == []
    assert through == direct
