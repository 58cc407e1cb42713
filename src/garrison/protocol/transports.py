"""The SDK transport for a :class:`LaunchSpec` (stdio, streamable HTTP, SSE), with Garrison's limits, and the
``Watch`` that records what went wrong beneath the SDK (for the error message)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from garrison.errors import ConnectError, ServerLaunchError
from garrison.model import LaunchSpec
from garrison.protocol.http import HttpState, limited_http_client
from garrison.protocol.limits import Limits
from garrison.protocol.stdio import StderrTail, StdioState, bounded_stdio, launch_environment

__all__ = ["Watch", "open_transport", "where"]


@dataclass(slots=True)
class Watch:
    """Shared between the transport and the snapshot: what went wrong below the SDK."""

    phase: str = "setup"
    stdio: StdioState | None = None
    http: HttpState | None = None
    warnings: list[str] = field(default_factory=list)

    def violation(self) -> str | None:
        for state in (self.stdio, self.http):
            if state is not None and state.violation:
                return state.violation
        return None

    def stderr_hint(self) -> str:
        if self.stdio is None:
            return ""
        lines = self.stdio.stderr.last_lines(12)
        return ("\nlast stderr lines:\n  " + "\n  ".join(line[:300] for line in lines)) if lines else ""


def where(spec: LaunchSpec) -> str:
    return f"{spec.config_path}: server {spec.name!r}" if spec.config_path else f"server {spec.name!r}"


def open_transport(spec: LaunchSpec, *, timeout: float, environ: Mapping[str, str], limits: Limits,
                   watch: Watch) -> Any:
    """The SDK ``Transport`` (an async context manager of streams) for ``spec``."""
    kind = spec.transport
    if kind == "unknown":
        kind = "stdio" if spec.command else "http" if spec.url else "unknown"
    if kind == "stdio":
        if not spec.command:
            raise ServerLaunchError("stdio server has no command", where=where(spec))
        watch.stdio = StdioState(stderr=StderrTail(limits.max_stderr_bytes))
        return bounded_stdio(spec.command, list(spec.args), env=launch_environment(spec.env, environ),
                             cwd=spec.cwd, limits=limits, state=watch.stdio)
    if kind in ("http", "sse"):
        from mcp.client.sse import sse_client
        from mcp.client.streamable_http import streamable_http_client

        url = spec.url or ""
        if not url.startswith(("http://", "https://")):
            raise ConnectError(f"unsupported server URL {url!r} (expected http:// or https://)",
                               where=where(spec))
        watch.http = HttpState()
        make_client = partial(limited_http_client, limits=limits, state=watch.http)
        if kind == "sse":
            limit_s = timeout

            def factory(headers: dict[str, str] | None = None, timeout: Any = None, auth: Any = None) -> Any:
                return make_client(headers=headers, timeout=limit_s, auth=auth)

            return sse_client(url, headers=dict(spec.headers), timeout=timeout, sse_read_timeout=timeout,
                              httpx_client_factory=factory)
        client = make_client(headers=spec.headers, timeout=timeout)
        return _Owning(client, streamable_http_client(url, http_client=client,
                                                      max_sse_event_size=limits.max_message_bytes))
    raise ConnectError("server has neither a command nor a URL", where=where(spec))


class _Owning:
    """Enter ``inner`` with ``client`` open; close the client after (the SDK leaves a passed one open)."""

    def __init__(self, client: Any, inner: AbstractAsyncContextManager[Any]) -> None:
        self._client = client
        self._inner = inner

    async def __aenter__(self) -> Any:
        await self._client.__aenter__()
        try:
            return await self._inner.__aenter__()
        except BaseException:
            await self._client.__aexit__(None, None, None)
            raise

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self._inner.__aexit__(*exc)
        finally:
            await self._client.__aexit__(None, None, None)
