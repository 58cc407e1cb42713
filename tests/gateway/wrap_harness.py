"""Drive ``garrison wrap`` over raw pipes: send frames, read frames with a deadline, measure the process."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
SDK_SERVER = str(FIXTURES / "sdk_server.py")
RAW_SERVER = str(FIXTURES / "raw_server.py")


BARE = ("--unsafe-no-pins", "--unsafe-no-guard", "--unsafe-no-audit")
"""The relay without pins, content guard and audit trail (those have their own tests)."""


def wrap_command(server: list[str], *options: str, bare: bool = True) -> list[str]:
    return [sys.executable, "-m", "garrison", "wrap", *(BARE if bare else ()), *options, "--", *server]


class RawWrap:
    """``garrison wrap`` as a child with pipes; the test plays the MCP client."""

    def __init__(self, server: list[str], *options: str, env: dict[str, str] | None = None,
                 bare: bool = True) -> None:
        self.proc = subprocess.Popen(
            wrap_command(server, *options, bare=bare), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env,
        )
        self._buf = b""
        self._selector = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        self._selector.register(self.proc.stdout, selectors.EVENT_READ)

    def send_bytes(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, body: dict[str, Any]) -> None:
        self.send_bytes(json.dumps(body).encode() + b"\n")

    def request(self, msg_id: int | str, method: str, params: dict[str, Any] | None = None) -> None:
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            body["params"] = params
        self.send(body)

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def read(self, timeout: float = 10.0) -> dict[str, Any] | None:
        """The next frame, or ``None`` at end of stream. Fails the test if nothing comes in ``timeout``."""
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                raise AssertionError(f"no frame from garrison wrap within {timeout} s")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                if self._buf.strip():
                    raise AssertionError(f"partial frame at end of stream: {self._buf[:200]!r}")
                return None
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        frame: dict[str, Any] = json.loads(line)
        return frame

    def read_id(self, msg_id: int | str, timeout: float = 10.0) -> dict[str, Any]:
        """Read until the response for ``msg_id``, skipping notifications."""
        while True:
            frame = self.read(timeout)
            assert frame is not None, f"stream ended before the response to {msg_id!r}"
            if frame.get("id") == msg_id and "method" not in frame:
                return frame

    def initialize(self) -> dict[str, Any]:
        self.request(0, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                       "clientInfo": {"name": "raw-test", "version": "1"}})
        response = self.read_id(0)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return response

    def peak_rss_bytes(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("VmHWM missing from /proc status")

    def finish(self, timeout: float = 10.0) -> tuple[int, str]:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        assert self.proc.stderr is not None
        stderr = self.proc.stderr.read().decode("utf-8", "replace")
        self._selector.close()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return self.proc.returncode, stderr
