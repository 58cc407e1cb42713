"""Throughput of ``garrison gateway`` (calls/s) at 1, 8 and 32 concurrent client sessions, with
direct-to-upstream in the same run for comparison, and an exactness check: every call carries a unique token
that must come back in its own answer.

The client is a lean streamable-HTTP client (httpx2, one POST per ``tools/call``, orjson), so its own cost
does not hide the gateway's. "direct" talks to the echo fixture server's own streamable-HTTP endpoint; the
gateway runs as ``garrison gateway`` (call records on) in front of the same fixture over stdio and over HTTP.

    .venv/bin/python bench/bench_gateway.py [--sessions 1,8,32] [--calls 300] [--upstream stdio|http|both]
    .venv/bin/python bench/bench_gateway.py --sessions 50 --calls 1000      # the 50 × 1,000 exactness run
"""

from __future__ import annotations

import argparse
import os
import selectors
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

ROOT = Path(__file__).resolve().parents[1]
ECHO = ROOT / "tests" / "gateway_http" / "fixtures" / "echo_server.py"
TOKEN = "bench-token-0123456789abcdef"
INIT = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}


def _line(proc: subprocess.Popen[bytes], pipe: Any, timeout: float = 60.0) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(pipe, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise SystemExit(f"no output from {proc.args!r} within {timeout} s")
    return str(pipe.readline().decode())


@contextmanager
def upstream_http() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, str(ECHO), "bench", "--http"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        line = _line(proc, proc.stdout)
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        proc.kill()
        proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def gateway(upstream: str, url: str | None, events: Path) -> Iterator[tuple[str, int]]:
    if upstream == "stdio":
        entry = f"  - name: bench\n    command: {sys.executable}\n    args: [{ECHO}, bench]\n"
    else:
        entry = f"  - name: bench\n    url: {url}/mcp\n"
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "gateway.yaml"
        config.write_text("listen: 127.0.0.1:0\nclients:\n  - identity: bench\n    token: env:BENCH_TOKEN\n"
                          f"upstreams:\n{entry}")
        env = {**os.environ, "BENCH_TOKEN": TOKEN}
        proc = subprocess.Popen([sys.executable, "-m", "garrison", "gateway", "--config", str(config),
                                 "--events", str(events)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
        try:
            line = _line(proc, proc.stderr)
            yield line.strip().rsplit(" ", 1)[1].removesuffix("/mcp"), proc.pid
        finally:
            proc.terminate()
            proc.wait()


def _result(response: httpx2.Response) -> dict[str, Any]:
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        for line in response.text.splitlines():
            if line.startswith("data:") and line[5:].strip():
                body = orjson.loads(line[5:])
                if "id" in body:
                    return dict(body)
        raise AssertionError(f"no response in the event stream: {response.text[:200]!r}")
    return dict(orjson.loads(response.content))


class LeanSession:
    def __init__(self, http: httpx2.AsyncClient, url: str) -> None:
        self.http, self.url, self.headers = http, url, {"Accept": "application/json, text/event-stream",
                                                        "Content-Type": "application/json"}
        self.next_id = 0

    async def post(self, body: dict[str, Any]) -> httpx2.Response:
        response = await self.http.post(self.url, content=orjson.dumps(body), headers=self.headers)
        response.raise_for_status()
        return response

    async def open(self) -> None:
        response = await self.post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": INIT})
        self.headers["mcp-session-id"] = response.headers["mcp-session-id"]
        self.headers["mcp-protocol-version"] = _result(response)["result"]["protocolVersion"]
        await self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    async def echo(self, tool: str, text: str) -> str:
        self.next_id += 1
        body = {"jsonrpc": "2.0", "id": self.next_id, "method": "tools/call",
                "params": {"name": tool, "arguments": {"text": text}}}
        answer = _result(await self.post(body))
        return "".join(part.get("text", "") for part in answer["result"]["content"])


async def run(base: str, tool: str, sessions: int, calls: int, auth: bool) -> tuple[float, int]:
    wrong = 0
    headers = {"Authorization": f"Bearer {TOKEN}"} if auth else {}
    limits = httpx2.Limits(max_connections=sessions + 4, max_keepalive_connections=sessions + 4)
    async with httpx2.AsyncClient(headers=headers, timeout=120, limits=limits) as http:
        clients = [LeanSession(http, f"{base}/mcp") for _ in range(sessions)]
        for client in clients:
            await client.open()

        async def drive(index: int, client: LeanSession) -> None:
            nonlocal wrong
            for call in range(calls):
                token = f"{index}:{call}:{time.monotonic_ns()}"
                if await client.echo(tool, token) != token:
                    wrong += 1

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for index, client in enumerate(clients):
                tg.start_soon(drive, index, client)
        elapsed = time.perf_counter() - started
    return sessions * calls / elapsed, wrong


def _row(name: str, sessions: int, calls: int, rate: float, wrong: int, direct: float | None,
         cpu: float | None) -> None:
    ratio = f"{rate / direct:.2f}x" if direct else "-"
    cpu_text = f"{cpu:.2f}" if cpu is not None else "-"
    print(f"{name:<26} {sessions:>8} {sessions * calls:>7} {rate:>8.0f} {ratio:>9} {wrong:>6} {cpu_text:>14}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="1,8,32", help="comma-separated concurrent session counts")
    parser.add_argument("--calls", type=int, default=300, help="calls per session")
    parser.add_argument("--upstream", choices=("stdio", "http", "both"), default="both")
    parser.add_argument("--no-direct", action="store_true", help="skip the direct runs (exactness runs)")
    args = parser.parse_args()
    counts = [int(n) for n in args.sessions.split(",")]
    kinds = ["stdio", "http"] if args.upstream == "both" else [args.upstream]
    print(f"{'set-up':<26} {'sessions':>8} {'calls':>7} {'calls/s':>8} {'vs direct':>9} {'wrong':>6} "
          f"{'gw CPU ms/call':>14}", flush=True)
    with upstream_http() as url, tempfile.TemporaryDirectory() as tmp:
        gateways = {kind: gateway(kind, url, Path(tmp) / f"events-{kind}.jsonl") for kind in kinds}
        bases = {kind: cm.__enter__() for kind, cm in gateways.items()}
        try:
            for sessions in counts:
                direct = None
                if not args.no_direct:
                    direct, wrong = anyio.run(run, url, "echo", sessions, args.calls, False)
                    _row("direct (upstream HTTP)", sessions, args.calls, direct, wrong, direct, None)
                for kind, (base, pid) in bases.items():
                    before = cpu_seconds(pid)
                    rate, wrong = anyio.run(run, base, "bench__echo", sessions, args.calls, True)
                    cpu_ms = (cpu_seconds(pid) - before) * 1000 / (sessions * args.calls)
                    _row(f"gateway → upstream {kind}", sessions, args.calls, rate, wrong, direct, cpu_ms)
        finally:
            for cm in gateways.values():
                cm.__exit__(None, None, None)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
