"""Connect to MCP servers with the official SDK and capture their whole surface as :class:`ServerSnapshot`.

One server: launch (stdio) or reach (streamable HTTP, SSE) it, negotiate the protocol era (``server/discover``
with fall-back to ``initialize``), then list tools, prompts, resources and resource templates, each only when
the server's capabilities announce it, following ``nextCursor`` under a page cap. One timeout covers launch,
handshake and listing. Failures become :class:`~garrison.errors.ConnectError` subclasses naming the server.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any, Literal

import anyio

from garrison.errors import ConnectError, ProtocolViolation, ServerLaunchError, ServerTimeoutError
from garrison.model import Definition, LaunchSpec, ServerSnapshot
from garrison.model.scan import ServerResult
from garrison.model.snapshot import ItemKind
from garrison.protocol.limits import DEFAULT_LIMITS, Limits, json_depth
from garrison.protocol.transports import Watch, open_transport
from garrison.protocol.transports import where as where_of

__all__ = ["ConnectMode", "snapshot_all", "snapshot_all_sync", "snapshot_server"]

ConnectMode = Literal["auto", "legacy"]
"""``auto``: probe ``server/discover`` (2026-07-28 and later) and fall back to ``initialize``;
``legacy``: the ``initialize`` handshake only."""

_LISTS: tuple[tuple[ItemKind, str, str, str], ...] = (
    # kind, capability, Client method, result attribute
    ("tool", "tools", "list_tools", "tools"),
    ("prompt", "prompts", "list_prompts", "prompts"),
    ("resource", "resources", "list_resources", "resources"),
    ("resource_template", "resources", "list_resource_templates", "resource_templates"),
)


def _dump(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(by_alias=True, exclude_none=True, mode="json"))


async def _list_all(spec: LaunchSpec, kind: ItemKind, fetch: Callable[..., Awaitable[Any]], attr: str,
                    limits: Limits) -> tuple[Definition, ...]:
    items: list[Definition] = []
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(limits.max_pages):
        page = await fetch(cursor=cursor, cache_mode="bypass")
        for model in getattr(page, attr):
            raw = _dump(model)
            if json_depth(raw, limits.max_depth) > limits.max_depth:
                raise ProtocolViolation(f"{kind} {Definition(kind, raw).key!r} is nested deeper than "
                                        f"{limits.max_depth} levels (max_depth)", where=where_of(spec))
            items.append(Definition(kind, raw))
        if len(items) > limits.max_items:
            raise ProtocolViolation(f"more than {limits.max_items} {kind} definitions (max_items)",
                                    where=where_of(spec))
        cursor = page.next_cursor
        if cursor is None:
            return tuple(items)
        if cursor in seen:
            raise ProtocolViolation(f"{kind} listing repeats cursor {cursor[:40]!r}", where=where_of(spec))
        seen.add(cursor)
    raise ProtocolViolation(f"{kind} listing has more than {limits.max_pages} pages (max_pages)",
                            where=where_of(spec))


async def _session(spec: LaunchSpec, *, timeout: float, environ: Mapping[str, str], limits: Limits,
                   mode: ConnectMode, watch: Watch) -> ServerSnapshot:
    from mcp import Client
    from mcp.client.session import ClientRequestContext
    from mcp.shared.exceptions import MCPError
    from mcp_types import ErrorData, Implementation, ListRootsResult

    from garrison import __version__

    transport = open_transport(spec, timeout=timeout, environ=environ, limits=limits, watch=watch)

    async def no_roots(context: ClientRequestContext) -> ListRootsResult | ErrorData:
        # Announcing the roots capability (with no roots) shows the surface real clients see: some servers
        # only list their roots-related tools to clients that declare it.
        return ListRootsResult(roots=[])

    client = Client(transport, mode=mode, cache=None, read_timeout_seconds=timeout, list_roots_callback=no_roots,
                    client_info=Implementation(name="garrison", version=__version__))
    watch.phase = "launch and handshake"
    async with client:
        caps = client.server_capabilities
        lists: dict[ItemKind, tuple[Definition, ...]] = {}
        for kind, capability, method, attr in _LISTS:
            if getattr(caps, capability) is None:
                continue
            watch.phase = f"{method.replace('list_', '').replace('_', '/')}/list"
            try:
                lists[kind] = await _list_all(spec, kind, getattr(client, method), attr, limits)
            except MCPError as err:
                if kind == "tool" or watch.violation() is not None:
                    raise
                watch.warnings.append(f"{watch.phase} failed: {err}")
        info = client.server_info
        return ServerSnapshot(
            name=spec.name,
            tools=lists.get("tool", ()),
            prompts=lists.get("prompt", ()),
            resources=lists.get("resource", ()),
            resource_templates=lists.get("resource_template", ()),
            instructions=client.instructions,
            server_info=_dump(info) if info is not None else None,
            protocol_version=client.protocol_version,
            capabilities=_dump(caps),
            launch=spec,
        )


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _leaves(sub)]
    return [exc]


def _leaf(exc: BaseException) -> BaseException:
    """The telling exception inside a (nested) group: ours, then an SSE limit, then the first."""
    from httpx2 import SSEError

    leaves = [e for e in _leaves(exc) if not isinstance(e, anyio.get_cancelled_exc_class())] or [exc]
    for kind in (ConnectError, SSEError):
        for leaf in leaves:
            if isinstance(leaf, kind):
                return leaf
    return leaves[0]


def _classify(spec: LaunchSpec, exc: BaseException, watch: Watch) -> ConnectError:
    """Turn whatever the SDK or the transport raised into one clear error naming the server."""
    from httpx2 import SSEError
    from mcp.shared.exceptions import MCPError
    from mcp_types import CONNECTION_CLOSED
    from pydantic import ValidationError

    where = where_of(spec)
    exc = _leaf(exc)
    if isinstance(exc, ConnectError):
        return exc
    hint = watch.stderr_hint()
    if (violation := watch.violation()) is not None:
        return ProtocolViolation(f"{violation} (during {watch.phase}){hint}", where=where)
    if isinstance(exc, SSEError):
        return ProtocolViolation(f"{exc} (during {watch.phase})", where=where)
    stdio = watch.stdio
    if stdio is not None and stdio.pid is None and isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return ServerLaunchError(f"cannot start {spec.command!r}: {reason}", where=where)
    if isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED:
        if stdio is not None:
            return ServerLaunchError(f"server exited (status {stdio.returncode}) during {watch.phase}{hint}",
                                     where=where)
        return ConnectError(f"connection closed during {watch.phase}", where=where)
    if isinstance(exc, ValidationError):
        first = str(exc).splitlines()
        return ProtocolViolation(f"invalid {watch.phase} result: {' '.join(first[:3])}{hint}", where=where)
    if isinstance(exc, MCPError):
        return ConnectError(f"{watch.phase} failed: {exc}{hint}", where=where)
    return ConnectError(f"{watch.phase} failed: {type(exc).__name__}: {exc}{hint}", where=where)


async def _snapshot(spec: LaunchSpec, *, timeout: float, environ: Mapping[str, str] | None, limits: Limits,
                    mode: ConnectMode, watch: Watch) -> ServerSnapshot:
    env = os.environ if environ is None else environ
    try:
        with anyio.fail_after(timeout):
            return await _session(spec, timeout=timeout, environ=env, limits=limits, mode=mode, watch=watch)
    except TimeoutError as exc:
        violation = watch.violation()
        if violation is not None:
            raise ProtocolViolation(f"{violation} (during {watch.phase})", where=where_of(spec)) from exc
        raise ServerTimeoutError(f"no answer within {timeout:g}s (during {watch.phase}){watch.stderr_hint()}",
                                 where=where_of(spec)) from exc
    except Exception as exc:  # the SDK and transports raise many types; each becomes one ConnectError
        raise _classify(spec, exc, watch) from exc


async def snapshot_server(
    spec: LaunchSpec,
    *,
    timeout: float = 30.0,
    environ: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    mode: ConnectMode = "auto",
) -> ServerSnapshot:
    """Connect to one server and return its snapshot.

    ``environ`` is where the inherited variables (``PATH``, ``HOME``, …) come from; default ``os.environ``.
    Raises :class:`ServerLaunchError`, :class:`ServerTimeoutError`, :class:`ProtocolViolation` or
    :class:`ConnectError`.
    """
    return await _snapshot(spec, timeout=timeout, environ=environ, limits=limits, mode=mode, watch=Watch())


async def _result(spec: LaunchSpec, *, timeout: float, environ: Mapping[str, str] | None, limits: Limits,
                  mode: ConnectMode, limiter: anyio.CapacityLimiter) -> ServerResult:
    async with limiter:
        watch = Watch()
        started = time.monotonic()
        try:
            snap = await _snapshot(spec, timeout=timeout, environ=environ, limits=limits, mode=mode,
                                   watch=watch)
        except ServerTimeoutError as err:
            return ServerResult(spec.name, "timeout", launch=spec, error=str(err),
                                elapsed=time.monotonic() - started)
        except ConnectError as err:
            return ServerResult(spec.name, "error", launch=spec, error=str(err),
                                elapsed=time.monotonic() - started)
        except Exception as err:  # fail closed: a bug here makes the scan incomplete, never clean
            return ServerResult(spec.name, "error", launch=spec,
                                error=f"{where_of(spec)}: {type(err).__name__}: {err}",
                                elapsed=time.monotonic() - started)
        note = "; ".join(watch.warnings) or None
        return ServerResult(spec.name, "ok", snapshot=snap, launch=spec, error=note,
                            elapsed=time.monotonic() - started)


async def snapshot_all(
    specs: Sequence[LaunchSpec],
    *,
    timeout: float = 30.0,
    concurrency: int = 8,
    environ: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    mode: ConnectMode = "auto",
    include_disabled: bool = False,
) -> list[ServerResult]:
    """Snapshot every server concurrently (at most ``concurrency`` at once); results in input order.

    Never raises for a server's failure: each result's ``status`` is ``ok``, ``error``, ``timeout`` or
    ``skipped`` (disabled in its client config, unless ``include_disabled``). For an ``ok`` result, ``error``
    carries non-fatal listing failures (for example ``prompts/list failed: …``), or ``None``.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    results: list[ServerResult | None] = [None] * len(specs)
    limiter = anyio.CapacityLimiter(concurrency)

    async def one(index: int, spec: LaunchSpec) -> None:
        if spec.disabled and not include_disabled:
            results[index] = ServerResult(spec.name, "skipped", launch=spec,
                                          error="disabled in its client config")
            return
        results[index] = await _result(spec, timeout=timeout, environ=environ, limits=limits, mode=mode,
                                       limiter=limiter)

    async with anyio.create_task_group() as tg:
        for index, spec in enumerate(specs):
            tg.start_soon(one, index, spec)
    return [r for r in results if r is not None]


def snapshot_all_sync(
    specs: Sequence[LaunchSpec],
    *,
    timeout: float = 30.0,
    concurrency: int = 8,
    environ: Mapping[str, str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    mode: ConnectMode = "auto",
    include_disabled: bool = False,
) -> list[ServerResult]:
    """:func:`snapshot_all` for synchronous callers (the CLI)."""
    return anyio.run(partial(snapshot_all, specs, timeout=timeout, concurrency=concurrency, environ=environ,
                             limits=limits, mode=mode, include_disabled=include_disabled))
