"""Added latency of ``garrison wrap`` per ``tools/call``: direct vs wrapped, side by side in one run.

The client is a lean line-level JSON-RPC client (so its own cost does not hide the relay's); the server is the
SDK fixture server's ``echo`` tool. The wrapped run has every check on: pins (a lockfile written on first
use), the content guard on arguments and outputs, a policy with an argument rule, the audit trail in a SQLite
store, description sanitiser, a deny-list (two tools) and call records in a JSON Lines file. ``wrap (bare)``
is the relay with pins, guard and audit switched off, to show what the checks cost. For reference, another
set-up relays through the SDK's own message-level pump (``stdio_server`` <-> ``stdio_client``, pydantic on
every message).
Calls alternate between the set-ups in blocks so that machine load affects all alike.

    .venv/bin/python bench/bench_wrap.py [--calls 2000] [--block 250] [--warmup 100] [--no-sdk-relay]
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ECHO_SERVER = ROOT / "tests" / "gateway" / "fixtures" / "sdk_server.py"
POLICY = """\
version: 1
rules:
  - name: short-echo
    tool: echo
    arguments:
      text: {max_bytes: 4KiB}
"""


class LineClient:
    def __init__(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        assert self.proc.stdout is not None
        assert self.proc.stdin is not None
        self._in = self.proc.stdin
        self._fd = self.proc.stdout.fileno()
        self._buf = b""
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.proc.stdout, selectors.EVENT_READ)
        self._next = 0

    def _readline(self) -> dict[str, object]:
        while b"\n" not in self._buf:
            if not self._selector.select(30):
                raise TimeoutError("no answer within 30 s")
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                raise EOFError("server closed its output")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        frame: dict[str, object] = json.loads(line)
        return frame

    def request(self, method: str, params: dict[str, object]) -> dict[str, object]:
        self._next += 1
        msg_id = self._next
        body = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}
        self._in.write(json.dumps(body).encode() + b"\n")
        self._in.flush()
        while True:
            frame = self._readline()
            if frame.get("id") == msg_id and "method" not in frame:
                return frame

    def initialize(self) -> None:
        self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                    "clientInfo": {"name": "bench", "version": "1"}})
        self._in.write(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
        self._in.flush()
        self.request("tools/list", {})

    def timed_call(self, text: str) -> float:
        start = time.perf_counter()
        frame = self.request("tools/call", {"name": "echo", "arguments": {"text": text}})
        elapsed = time.perf_counter() - start
        if "result" not in frame:
            raise RuntimeError(f"call failed: {frame}")
        return elapsed

    def close(self) -> None:
        self._in.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._selector.close()


async def sdk_relay(command: list[str]) -> None:
    """Relay stdin/stdout to ``command`` with the SDK's transports (the reference set-up)."""
    import anyio
    from mcp.client.stdio import StdioServerParameters, stdio_client
    from mcp.server.stdio import stdio_server

    params = StdioServerParameters(command=command[0], args=command[1:])
    async with stdio_server() as (client_read, client_write), stdio_client(params) as (server_read, server_write):
        async with anyio.create_task_group() as tg:

            async def pump(source: Any, sink: Any) -> None:
                async for item in source:
                    if not isinstance(item, Exception):
                        await sink.send(item)
                tg.cancel_scope.cancel()

            tg.start_soon(pump, client_read, server_write)
            tg.start_soon(pump, server_read, client_write)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per set-up (default 2000)")
    parser.add_argument("--block", type=int, default=250, help="calls per alternating block (default 250)")
    parser.add_argument("--warmup", type=int, default=100, help="untimed calls first (default 100)")
    parser.add_argument("--no-sdk-relay", action="store_true", help="leave out the SDK relay set-up")
    parser.add_argument("--sdk-relay", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sdk_relay:
        import anyio

        warnings.simplefilter("ignore")
        anyio.run(sdk_relay, args.sdk_relay)
        return 0

    server = [sys.executable, str(ECHO_SERVER)]
    with tempfile.TemporaryDirectory() as tmp:
        events = Path(tmp) / "events.jsonl"
        policy = Path(tmp) / "garrison.yaml"
        policy.write_text(POLICY)
        wrap = [sys.executable, "-m", "garrison", "wrap", "--name", "echo", "--deny-tools", "crash,hang"]
        wrapped = [*wrap, "--events", str(events), "--lockfile", str(Path(tmp) / "garrison.lock"),
                   "--unpinned", "pin-on-first-use", "--policy", str(policy), "--db", str(Path(tmp) / "store.db"),
                   "--", *server]
        bare = [*wrap, "--unsafe-no-pins", "--unsafe-no-guard", "--unsafe-no-audit", "--", *server]
        setups = {"direct": LineClient(server), "garrison wrap": LineClient(wrapped), "wrap (bare)": LineClient(bare)}
        if not args.no_sdk_relay:
            setups["SDK relay"] = LineClient([sys.executable, __file__, "--sdk-relay", *server])
        samples: dict[str, list[float]] = {name: [] for name in setups}
        try:
            for client in setups.values():
                client.initialize()
                for _ in range(args.warmup):
                    client.timed_call("warm")
            done = 0
            while done < args.calls:
                n = min(args.block, args.calls - done)
                for name, client in setups.items():
                    samples[name].extend(client.timed_call(f"hello {i}") for i in range(n))
                done += n
        finally:
            for client in setups.values():
                client.close()
        recorded = sum(1 for _ in events.open()) if events.exists() else 0

    base = samples["direct"]
    base_p50, base_p99 = percentile(base, 0.5), percentile(base, 0.99)
    print(f"tools/call latency, echo server, {args.calls} calls per set-up "
          f"(blocks of {args.block}, {args.warmup} warm-up)")
    print(f"{'set-up':<16}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'added p50':>11}{'added p99':>11}"
          f"{'x p50':>8}{'x p99':>8}")
    for name, values in samples.items():
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(f"{name:<16}{p50 * 1e3:>9.3f}{p99 * 1e3:>9.3f}{statistics.fmean(values) * 1e3:>9.3f}"
              f"{(p50 - base_p50) * 1e3:>11.3f}{(p99 - base_p99) * 1e3:>11.3f}"
              f"{p50 / base_p50:>8.2f}{p99 / base_p99:>8.2f}")
    print(f"call records written by the wrapped run: {recorded}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
