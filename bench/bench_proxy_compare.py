"""``garrison gateway`` against PyPI ``mcp-proxy``: both expose one stdio MCP server over streamable HTTP.

In one run, against the same stdio echo server (``tests/gateway_http/fixtures/echo_server.py``), this measures
``tools/call`` throughput (calls/s) at 1, 8 and 32 concurrent client sessions and the p50/p99 latency of each
call through:

- direct stdio (baseline; one session, latency only) and ``garrison wrap`` over stdio (pins on first use,
  content guard, sanitising, audit trail; one session), their calls interleaved one by one;
- ``mcp-proxy`` (installed into ``.venv-bench`` by ``scripts/install-bench-tools``), streamable HTTP;
- ``garrison gateway`` with its defaults plus a lockfile pinned on first use (pins, content guard,
  sanitising and call records on), streamable HTTP, bearer token.

Both HTTP set-ups are driven by the same lean client (one POST per call, ``bench_gateway.LeanSession``), so
the client's cost does not hide the proxies'. Every answer must echo its own unique token ("wrong" counts
mismatches). Loopback only; every loop is bounded by ``--calls``.

    scripts/install-bench-tools
    .venv/bin/python bench/bench_proxy_compare.py [--sessions 1,8,32] [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import orjson
from bench_gateway import INIT, TOKEN, LeanSession

ROOT = Path(__file__).resolve().parents[1]
ECHO = [sys.executable, str(ROOT / "tests" / "gateway_http" / "fixtures" / "echo_server.py"), "bench"]
MCP_PROXY = ROOT / ".venv-bench" / "bin" / "mcp-proxy"
STARTUP_S = 60.0

Row = tuple[str, int, int, float | None, float, float, int]
"""(set-up, sessions, calls, calls/s or None, p50 ms, p99 ms, wrong answers)"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[bytes]) -> None:
    """Poll ``url`` until anything answers; bounded by ``STARTUP_S``."""
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args!r} exited with {proc.returncode} before serving")
        try:
            httpx2.get(url, timeout=1.0)
            return
        except httpx2.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {STARTUP_S:.0f} s")


@contextmanager
def serving(command: list[str], probe: str, env: dict[str, str] | None = None) -> Iterator[None]:
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_http(probe, proc)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def mcp_proxy() -> Iterator[str]:
    port = free_port()
    with serving([str(MCP_PROXY), "--host", "127.0.0.1", "--port", str(port), "--", *ECHO],
                 f"http://127.0.0.1:{port}/status"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def garrison_gateway(tmp: Path) -> Iterator[str]:
    port = free_port()
    config = tmp / "gateway.yaml"
    config.write_text(
        f"listen: 127.0.0.1:{port}\nlockfile: {tmp / 'garrison.lock'}\n"
        "clients:\n  - identity: bench\n    token: env:GARRISON_BENCH_TOKEN\n"
        f"upstreams:\n  - name: bench\n    command: {ECHO[0]}\n    args: [{ECHO[1]}, {ECHO[2]}]\n",
        encoding="utf-8")
    env = {**os.environ, "GARRISON_BENCH_TOKEN": TOKEN, "GARRISON_DB": str(tmp / "garrison.db")}
    with serving([sys.executable, "-m", "garrison", "gateway", "--config", str(config),
                  "--events", str(tmp / "events.jsonl")], f"http://127.0.0.1:{port}/healthz", env):
        yield f"http://127.0.0.1:{port}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def over_http(base: str, tool: str, sessions: int, calls: int, auth: bool) -> tuple[float, list[float], int]:
    """``sessions`` sessions, each making ``calls`` calls in turn; (calls/s, latencies in s, wrong answers)."""
    headers = {"Authorization": f"Bearer {TOKEN}"} if auth else {}
    limits = httpx2.Limits(max_connections=sessions + 4, max_keepalive_connections=sessions + 4)
    latencies: list[float] = []
    wrong = 0
    async with httpx2.AsyncClient(headers=headers, timeout=120, limits=limits) as http:
        clients = [LeanSession(http, f"{base}/mcp") for _ in range(sessions)]
        for client in clients:
            await client.open()
            await client.post({"jsonrpc": "2.0", "id": "list", "method": "tools/list"})  # as clients do; pins need it
            await client.echo(tool, "warm-up")

        async def drive(index: int, client: LeanSession) -> None:
            nonlocal wrong
            for call in range(calls):
                token = f"{index}:{call}"
                started = time.perf_counter()
                answer = await client.echo(tool, token)
                latencies.append(time.perf_counter() - started)
                wrong += answer != token

        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for index, client in enumerate(clients):
                group.start_soon(drive, index, client)
        elapsed = time.perf_counter() - started
    return sessions * calls / elapsed, latencies, wrong


class StdioSession:
    """A lean stdio MCP client: one JSON-RPC line out, read lines until the matching response."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self.next_id = 0
        self.proc: asyncio.subprocess.Process | None = None

    async def open(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, limit=1 << 24)
        await self.request("initialize", INIT)
        self._write({"jsonrpc": "2.0", "method": "notifications/initialized"})
        await self.request("tools/list", {})

    def _write(self, body: dict[str, Any]) -> None:
        assert self.proc is not None
        assert self.proc.stdin is not None
        self.proc.stdin.write(orjson.dumps(body) + b"\n")

    async def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.proc is not None
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.next_id += 1
        self._write({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        await self.proc.stdin.drain()
        while True:
            line = await asyncio.wait_for(self.proc.stdout.readline(), STARTUP_S)
            if not line:
                raise SystemExit(f"{self.command!r} closed stdout")
            frame: dict[str, Any] = orjson.loads(line)
            if frame.get("id") == self.next_id and "method" not in frame:
                return frame

    async def echo(self, text: str) -> str:
        frame = await self.request("tools/call", {"name": "echo", "arguments": {"text": text}})
        return "".join(part.get("text", "") for part in frame.get("result", {}).get("content", []))

    async def close(self) -> None:
        if self.proc is None:
            return
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


async def over_stdio(commands: list[list[str]], calls: int) -> list[tuple[list[float], int]]:
    """One stdio session per command, ``calls`` calls each, interleaved call by call so that both see the
    same machine load: per command (latencies in s, wrong answers)."""
    sessions = [StdioSession(command) for command in commands]
    latencies: list[list[float]] = [[] for _ in commands]
    wrong = [0 for _ in commands]
    try:
        for session in sessions:
            await session.open()
        for call in range(calls):
            for index, session in enumerate(sessions):
                token = f"{index}:{call}"
                started = time.perf_counter()
                answer = await session.echo(token)
                latencies[index].append(time.perf_counter() - started)
                wrong[index] += answer != token
    finally:
        for session in sessions:
            await session.close()
    return list(zip(latencies, wrong, strict=True))


def row(name: str, sessions: int, rate: float | None, latencies: list[float], wrong: int) -> Row:
    return (name, sessions, len(latencies), rate, percentile(latencies, 0.5) * 1000,
            percentile(latencies, 0.99) * 1000, wrong)


def table(rows: list[Row]) -> str:
    proxy = {sessions: (rate, p50) for name, sessions, _, rate, p50, _, _ in rows if name == "mcp-proxy"}
    direct = next(p50 for name, _, _, _, p50, _, _ in rows if name == "direct stdio")
    lines = ["| set-up | sessions | calls | calls/s | p50 ms | p99 ms | calls/s vs mcp-proxy | p50 vs mcp-proxy "
             "| p50 vs direct stdio | wrong |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, sessions, calls, rate, p50, p99, wrong in rows:
        base_rate, base_p50 = proxy.get(sessions, (None, None))
        rate_text = f"{rate:.0f}" if rate is not None else "-"
        rate_ratio = f"{rate / base_rate:.2f}x" if rate is not None and base_rate else "-"
        p50_ratio = f"{p50 / base_p50:.2f}x" if base_p50 else "-"
        lines.append(f"| {name} | {sessions} | {calls} | {rate_text} | {p50:.2f} | {p99:.2f} | {rate_ratio} "
                     f"| {p50_ratio} | {p50 / direct:.1f}x | {wrong} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sessions", default="1,8,32", help="comma-separated concurrent session counts")
    parser.add_argument("--calls", type=int, default=200, help="calls per session (bounded loops)")
    args = parser.parse_args()
    if not MCP_PROXY.exists():
        raise SystemExit(f"{MCP_PROXY} not installed: run scripts/install-bench-tools")
    counts = [int(n) for n in args.sessions.split(",")]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        wrap = [sys.executable, "-m", "garrison", "wrap", "--lockfile", f"{tmp}/wrap.lock", "--db",
                f"{tmp}/wrap.db", "--name", "bench", "--", *ECHO]
        stdio = asyncio.run(over_stdio([ECHO, wrap], args.calls))
        for name, (latencies, wrong) in zip(("direct stdio", "garrison wrap (stdio)"), stdio, strict=True):
            rows.append(row(name, 1, None, latencies, wrong))
        with mcp_proxy() as proxy, garrison_gateway(Path(tmp)) as gateway:
            for sessions in counts:
                rate, latencies, wrong = anyio.run(over_http, proxy, "echo", sessions, args.calls, False)
                rows.append(row("mcp-proxy", sessions, rate, latencies, wrong))
                rate, latencies, wrong = anyio.run(over_http, gateway, "bench__echo", sessions, args.calls, True)
                rows.append(row("garrison gateway", sessions, rate, latencies, wrong))
    print(table(rows))
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
