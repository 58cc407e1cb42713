"""A bounded stdio transport for the ``mcp`` SDK's ``Client``.

The SDK's own ``stdio_client`` buffers a stdout line without limit and sends the child's stderr to a file
object. Scanning means running code we do not trust, so this transport frames stdout lines under
``Limits.max_message_bytes``, keeps only the tail of stderr, starts the child in its own session with a
scrubbed environment, and always stops the whole process group on exit. JSON-RPC parsing and everything above
it (handshake, eras, pagination) stay in the SDK.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.client.stdio import DEFAULT_INHERITED_ENV_VARS
from mcp.shared.message import SessionMessage
from mcp_types import jsonrpc_message_adapter

from garrison.protocol.limits import Limits

__all__ = ["INHERITED_ENV_VARS", "StderrTail", "StdioState", "bounded_stdio", "launch_environment"]

INHERITED_ENV_VARS: tuple[str, ...] = tuple(DEFAULT_INHERITED_ENV_VARS)
"""Variables passed through from Garrison's own environment (the SDK's safe set): on POSIX ``HOME``,
``LOGNAME``, ``PATH``, ``SHELL``, ``TERM`` and ``USER``. Everything else the child sees comes from its
config."""

EXIT_GRACE = 1.0
"""Seconds a server gets to exit after its stdin closes, and again after SIGTERM, before SIGKILL."""
_POLL = 0.01


def launch_environment(config_env: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """The child's environment: the inherited safe set from ``environ``, overlaid with ``config_env``.

    Values that look like exported shell functions (``() {``) are never inherited.
    """
    env = {k: environ[k] for k in INHERITED_ENV_VARS if k in environ and not environ[k].startswith("()")}
    env.update(config_env)
    return env


class StderrTail:
    """The last ``limit`` bytes a child wrote to stderr."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self.dropped = 0

    def feed(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._size += len(chunk)
        while self._size > self._limit and self._chunks:
            head = self._chunks.popleft()
            excess = self._size - self._limit
            if len(head) > excess:
                self._chunks.appendleft(head[excess:])
                self._size -= excess
                self.dropped += excess
            else:
                self._size -= len(head)
                self.dropped += len(head)

    def text(self) -> str:
        return b"".join(self._chunks).decode("utf-8", errors="replace")

    def last_lines(self, count: int = 20) -> list[str]:
        return [line for line in self.text().splitlines() if line.strip()][-count:]


@dataclass(slots=True)
class StdioState:
    """What the transport saw, for the error message when a snapshot fails."""

    stderr: StderrTail
    violation: str | None = None
    """Why the transport stopped reading (oversized line, not JSON-RPC), if it did."""
    returncode: int | None = None
    pid: int | None = None
    received_bytes: int = field(default=0)


async def _stop(process: anyio.abc.Process) -> None:
    """Close stdin, wait ``EXIT_GRACE``, then SIGTERM and finally SIGKILL the child's process group."""
    with suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
        if process.stdin is not None:
            await process.stdin.aclose()
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig is not None and process.returncode is None:
            with suppress(ProcessLookupError, PermissionError):
                if sys.platform == "win32":  # pragma: no cover
                    process.kill()
                else:
                    os.killpg(process.pid, sig)
        deadline = anyio.current_time() + EXIT_GRACE
        while process.returncode is None and anyio.current_time() < deadline:
            await anyio.sleep(_POLL)
        if process.returncode is not None:
            break
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            with suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                await stream.aclose()
    # anyio leaves the asyncio subprocess transport open while a pipe is still read; close it explicitly.
    transport = getattr(getattr(process, "_process", None), "_transport", None)
    close = getattr(transport, "close", None)
    if callable(close):
        with suppress(PermissionError):
            close()


@asynccontextmanager
async def bounded_stdio(
    command: str,
    args: list[str],
    *,
    env: Mapping[str, str],
    cwd: str | None,
    limits: Limits,
    state: StdioState,
) -> AsyncIterator[tuple[MemoryObjectReceiveStream[SessionMessage | Exception],
                         MemoryObjectSendStream[SessionMessage]]]:
    """Start ``command`` and yield the ``(read, write)`` stream pair the SDK's ``Client`` expects.

    Raises ``OSError`` when the command cannot be started.
    """
    process = await anyio.open_process(
        [command, *args],
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    state.pid = process.pid
    read_send, read_recv = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_send, write_recv = anyio.create_memory_object_stream[SessionMessage](0)
    limit = limits.max_message_bytes

    async def deliver(line: bytes) -> bool:
        if not line.strip():
            return True
        try:
            message = jsonrpc_message_adapter.validate_json(line, by_name=False)
        except ValueError as exc:
            first = str(exc).splitlines()
            detail = first[-1].strip() if first else type(exc).__name__
            preview = line[:80].decode("utf-8", errors="replace")
            state.violation = f"stdout line is not JSON-RPC ({detail}): {preview!r}"
            return False
        await read_send.send(SessionMessage(message))
        return True

    async def read_stdout() -> None:
        assert process.stdout is not None
        buffer = bytearray()
        with suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError):
            async with read_send:
                async for chunk in process.stdout:
                    state.received_bytes += len(chunk)
                    if state.received_bytes > limits.max_total_bytes:
                        state.violation = f"server sent more than {limits.max_total_bytes} bytes in total"
                        return
                    start = 0
                    while (end := chunk.find(b"\n", start)) != -1:
                        buffer += chunk[start:end]
                        start = end + 1
                        if len(buffer) > limit:
                            break
                        line = bytes(buffer)
                        buffer.clear()
                        if not await deliver(line):
                            return
                    else:
                        buffer += chunk[start:]
                    if len(buffer) > limit:
                        state.violation = f"a message exceeds the {limit}-byte limit (max_message_bytes)"
                        return

    async def read_stderr() -> None:
        assert process.stderr is not None
        with suppress(anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError):
            async for chunk in process.stderr:
                state.stderr.feed(chunk)

    async def write_stdin() -> None:
        assert process.stdin is not None
        try:
            async with write_recv:
                async for item in write_recv:
                    data = item.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n"
                    await process.stdin.send(data.encode())
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            # The child stopped reading: end the session's read side so no request waits forever.
            await read_send.aclose()

    async with anyio.create_task_group() as tg:
        tg.start_soon(read_stdout)
        tg.start_soon(read_stderr)
        tg.start_soon(write_stdin)
        try:
            yield read_recv, write_send
        finally:
            with anyio.CancelScope(shield=True):
                read_recv.close()
                write_send.close()
                await _stop(process)
                state.returncode = process.returncode
                for stream in (read_send, read_recv, write_send, write_recv):
                    await stream.aclose()
            tg.cancel_scope.cancel()
