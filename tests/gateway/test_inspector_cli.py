"""The MCP Inspector CLI sees the same server through ``garrison wrap`` as it does directly.

The Inspector (``@modelcontextprotocol/inspector``, run with the pinned Node 22 from ``.conformance``) talks
stdio to the reference ``server-everything``, once directly and once through ``garrison wrap`` with pins
enforced (the Inspector's first session pins on first use into a temporary lockfile; the compared sessions
run with ``--unpinned block``), the content guard, sanitising and the audit trail (temporary store) on.
Its JSON output, exit status included, must be identical.

Run ``scripts/install-conformance`` first; without ``.conformance`` these tests skip and say so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("GARRISON_CONFORMANCE_DIR", ROOT / ".conformance"))
NODE_BIN = TOOLS / "bin"
INSPECTOR = TOOLS / "node_modules" / ".bin" / "mcp-inspector"
EVERYTHING = TOOLS / "node_modules" / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
TIMEOUT = 90

QUERIES: dict[str, list[str]] = {
    "tools/list": ["--method", "tools/list"],
    "echo": ["--method", "tools/call", "--tool-name", "echo", "--tool-arg", "message=héllo wörld"],
    "get-sum": ["--method", "tools/call", "--tool-name", "get-sum", "--tool-arg", "a=2", "b=40"],
    "unknown tool": ["--method", "tools/call", "--tool-name", "no-such-tool"],
    "prompts/list": ["--method", "prompts/list"],
    "prompts/get": ["--method", "prompts/get", "--prompt-name", "args-prompt", "--prompt-args", "city=Paris",
                    "state=IDF"],
    "resources/list": ["--method", "resources/list"],
    "resources/templates/list": ["--method", "resources/templates/list"],
}


def garrison_wrap(lockfile: Path, unpinned: str, store: Path, server: list[str]) -> dict[str, Any]:
    args = ["-m", "garrison", "wrap", "--name", "everything", "--lockfile", str(lockfile), "--unpinned", unpinned,
            "--db", str(store), "--", *server]
    return {"command": sys.executable, "args": args}


SHOWS: dict[str, str] = {
    "tools/list": '"name": "get-sum"',
    "echo": "Echo: héllo wörld",
    "get-sum": "The sum of 2 and 40 is 42.",
    "unknown tool": "Tool 'no-such-tool' not found",
    "prompts/list": '"name": "args-prompt"',
    "prompts/get": "Paris",
    "resources/list": '"uri": "demo://',
    "resources/templates/list": "demo://resource/dynamic/text/{resourceId}",
}
"""Something each answer must show, so that two identical failures cannot pass."""


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Inspector config naming the server four times.

    ``direct``; ``first-use``, through which the Inspector's first session pins everything it sees into a
    fresh lockfile; ``wrapped``, the same lockfile with anything unpinned blocked; ``pinned-by-cli``, blocking
    with a lockfile that ``garrison pin`` wrote beforehand.
    """
    for need in (NODE_BIN / "node", INSPECTOR, EVERYTHING):
        if not need.exists():
            pytest.skip(f"{need} not installed: run scripts/install-conformance")
    base = tmp_path_factory.mktemp("inspector")
    server = [str(NODE_BIN / "node"), str(EVERYTHING)]
    by_cli = base / "pin-cli.lock"
    pinned = subprocess.run(
        [sys.executable, "-m", "garrison", "pin", "--name", "everything", "--lockfile", str(by_cli), "--no-store",
         "--", *server],
        capture_output=True, text=True, timeout=TIMEOUT, check=False, cwd=base,
    )
    assert pinned.returncode == 0, pinned.stderr
    lockfile = base / "garrison.lock"
    store = base / "audit.db"
    config = {"mcpServers": {"direct": {"command": server[0], "args": server[1:]},
                             "first-use": garrison_wrap(lockfile, "pin-on-first-use", store, server),
                             "wrapped": garrison_wrap(lockfile, "block", store, server),
                             "pinned-by-cli": garrison_wrap(by_cli, "block", store, server)}}
    path = base / "inspector.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    status, _ = inspect(path, "first-use", QUERIES["tools/list"])
    assert status == 0
    assert lockfile.is_file()
    return path


def inspect(config: Path, server: str, query: list[str]) -> tuple[int, Any]:
    """Run the Inspector CLI: its exit status and its JSON answer (stdout, or the error object it prints last on
    stderr), parsed so that key order and layout do not matter."""
    env = {**os.environ, "PATH": f"{NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "MCP_INSPECTOR_SECRET_STORE": "memory"}
    done = subprocess.run([str(INSPECTOR), "--cli", "--config", str(config), "--server", server, *query],
                          capture_output=True, text=True, timeout=TIMEOUT, check=False, env=env, cwd=config.parent)
    lines = done.stderr.strip().splitlines()
    answer = done.stdout if done.stdout.strip() else (lines[-1] if lines else "")
    try:
        return done.returncode, json.loads(answer)
    except json.JSONDecodeError:
        raise AssertionError(f"Inspector printed no JSON for {server} {query}: {done.stdout!r} {done.stderr!r}") \
            from None


def side_by_side(config: Path, server: str, query: list[str]) -> tuple[tuple[int, Any], tuple[int, Any]]:
    """The Inspector's answers from ``server`` and from ``direct``, both runs at the same time."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        through = pool.submit(inspect, config, server, query)
        direct = pool.submit(inspect, config, "direct", query)
        return through.result(), direct.result()


@pytest.mark.parametrize("query", list(QUERIES))
def test_inspector_output_is_identical_through_wrap(servers: Path, query: str) -> None:
    wrapped, direct = side_by_side(servers, "wrapped", QUERIES[query])
    assert wrapped == direct
    status, answer = wrapped  # not vacuous: the answer is the one expected
    assert status == (5 if query == "unknown tool" else 0), answer  # 5: the Inspector's "tool not found"
    assert SHOWS[query] in json.dumps(answer, ensure_ascii=False)


def test_pins_written_by_garrison_pin_cover_what_a_real_client_sees(servers: Path) -> None:
    pinned_by_cli, direct = side_by_side(servers, "pinned-by-cli", QUERIES["tools/list"])
    assert pinned_by_cli == direct
