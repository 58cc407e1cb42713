"""Shared fixtures: a real gateway process on a free 127.0.0.1 port, in front of fixture servers."""

from __future__ import annotations

import selectors
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
ECHO = str(FIXTURES / "echo_server.py")
TOKEN = "alice-token-0123456789abcdef"
OTHER_TOKEN = "bob-token-0123456789abcdef"


def _first_line(proc: subprocess.Popen[bytes], stream: str, timeout: float = 60.0) -> str:
    pipe = proc.stderr if stream == "stderr" else proc.stdout
    assert pipe is not None
    with selectors.DefaultSelector() as selector:
        selector.register(pipe, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise AssertionError(f"no output from {proc.args!r} within {timeout} s")
    return pipe.readline().decode()


@contextmanager
def http_upstream(name: str) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, ECHO, name, "--http"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        line = _first_line(proc, "stdout")
        assert line.startswith("PORT "), line
        yield f"http://127.0.0.1:{int(line.split()[1])}/mcp"
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


@dataclass
class Gateway:
    url: str
    port: int
    events: Path
    proc: subprocess.Popen[bytes]


@contextmanager
def run_gateway(tmp: Path, body: str) -> Iterator[Gateway]:
    config = tmp / "gateway.yaml"
    config.write_text(body)
    events = tmp / "events.jsonl"
    env = {"PATH": "/usr/bin:/bin", "GW_ALICE": TOKEN, "GW_BOB": OTHER_TOKEN}
    proc = subprocess.Popen([sys.executable, "-m", "garrison", "gateway", "--config", str(config),
                             "--events", str(events)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        line = _first_line(proc, "stderr")
        assert "listening on http://127.0.0.1:" in line, line
        port = int(line.rsplit(":", 1)[1].split("/")[0])
        yield Gateway(f"http://127.0.0.1:{port}", port, events, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()


def stdio_upstream(name: str, prefix: str | None = None) -> str:
    extra = f"\n    prefix: \"{prefix}\"" if prefix is not None else ""
    return (f"  - name: {name}\n    command: {sys.executable}\n    args: [{ECHO}, {name}]\n    timeout: 20{extra}\n")


CLIENTS = ("clients:\n  - identity: alice\n    token: env:GW_ALICE\n"
           "  - identity: bob\n    token: env:GW_BOB\n")
