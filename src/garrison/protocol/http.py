"""Byte limits for the SDK's HTTP transports (streamable HTTP and SSE).

The SDK caps one SSE event on streamable HTTP but not a JSON response body, and its SSE transport has no cap
at all. Both accept an ``httpx2`` client, so the limit sits in the client's transport: every response body is
counted as it streams, and reading stops with :class:`BodyTooLarge` once a limit is passed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import httpx2

from garrison.protocol.limits import Limits

__all__ = ["BodyTooLarge", "HttpState", "limited_http_client"]


class BodyTooLarge(httpx2.ReadError):
    """A response body passed a configured byte limit."""


@dataclass(slots=True)
class HttpState:
    violation: str | None = None
    received_bytes: int = 0


class _CountingStream(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, request: httpx2.Request, *, limit: int,
                 limits: Limits, state: HttpState) -> None:
        self._inner = inner
        self._request = request
        self._limit = limit
        self._limits = limits
        self._state = state

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            self._state.received_bytes += len(chunk)
            if seen > self._limit:
                self._state.violation = f"a response body exceeds the {self._limit}-byte limit"
                raise BodyTooLarge(self._state.violation, request=self._request)
            if self._state.received_bytes > self._limits.max_total_bytes:
                self._state.violation = f"server sent more than {self._limits.max_total_bytes} bytes in total"
                raise BodyTooLarge(self._state.violation, request=self._request)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class _LimitedTransport(httpx2.AsyncBaseTransport):
    """The default transport with counted bodies: JSON gets ``max_message_bytes``, event streams
    ``max_total_bytes``."""

    def __init__(self, limits: Limits, state: HttpState) -> None:
        self._inner = httpx2.AsyncHTTPTransport()
        self._limits = limits
        self._state = state

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        streaming = response.headers.get("content-type", "").startswith("text/event-stream")
        limit = self._limits.max_total_bytes if streaming else self._limits.max_message_bytes
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        return httpx2.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_CountingStream(response.stream, request, limit=limit, limits=self._limits,
                                   state=self._state),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def limited_http_client(
    *,
    headers: Mapping[str, str] | None,
    timeout: float,
    limits: Limits,
    state: HttpState,
    auth: httpx2.Auth | None = None,
) -> httpx2.AsyncClient:
    """An ``httpx2.AsyncClient`` for the SDK's HTTP transports with Garrison's byte limits applied.

    Redirects stay off: the SDK follows same-origin redirects itself.
    """
    return httpx2.AsyncClient(
        headers=dict(headers or {}),
        timeout=httpx2.Timeout(timeout),
        auth=auth,
        transport=_LimitedTransport(limits, state),
    )
