"""The five third-party reference servers work through ``garrison wrap`` with every protection on.

Each server is first pinned into a temporary lockfile with ``garrison pin --name N -- COMMAND``; the wrapper
then runs with that lockfile, ``--unpinned block`` (a server missing from the lockfile would list nothing),
the content guard, description sanitising and the audit trail (into a temporary store) all on. The MCP SDK
``Client`` runs the same session directly and through the wrapper; every observation must be identical.

Nothing leaves the machine: the fetch server is only asked for a URL that fails validation locally.
Run ``scripts/install-test-servers`` first; without it these tests skip and say so.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "protocol"))
from real_servers import RealServer, missing, real_servers

pytestmark = pytest.mark.integration

Observations = list[tuple[str, Any]]
Session = Callable[[Client], Awaitable[Observations]]
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)?")
PAGE_LIMIT = 50


@pytest.fixture(autouse=True)
def _installed() -> None:
    reason = missing()
    if reason is not None:
        pytest.skip(reason)


def dump(value: Any) -> Any:
    return value.model_dump(mode="json", exclude_none=True) if hasattr(value, "model_dump") else value


async def attempt(seen: Observations, label: str, call: Awaitable[Any]) -> None:
    try:
        seen.append((label, dump(await call)))
    except MCPError as err:
        seen.append((label, f"error {err}"))


async def every_page(fetch: Callable[[str | None], Awaitable[Any]], field: str) -> list[Any]:
    """All items of a paginated list, bounded to ``PAGE_LIMIT`` pages."""
    items: list[Any] = []
    cursor: str | None = None
    for _ in range(PAGE_LIMIT):
        page = await fetch(cursor)
        items.extend(dump(item) for item in getattr(page, field))
        cursor = page.next_cursor
        if cursor is None:
            return items
    raise AssertionError(f"more than {PAGE_LIMIT} pages of {field}")


async def lists(client: Client) -> Observations:
    seen: Observations = [("server_info", dump(client.server_info)), ("version", client.protocol_version)]
    seen.append(("tools", await every_page(lambda c: client.list_tools(cursor=c), "tools")))
    capabilities = client.server_capabilities
    if capabilities is not None and capabilities.prompts is not None:
        seen.append(("prompts", await every_page(lambda c: client.list_prompts(cursor=c), "prompts")))
    if capabilities is not None and capabilities.resources is not None:
        seen.append(("resources", await every_page(lambda c: client.list_resources(cursor=c), "resources")))
        seen.append(("templates", await every_page(lambda c: client.list_resource_templates(cursor=c),
                                                   "resource_templates")))
    return seen


@dataclass(frozen=True)
class Case:
    """One server: extra arguments for its launch line, and the harmless calls made on it."""

    calls: Callable[[Path], list[tuple[str, dict[str, Any]]]]
    prepare: Callable[[Path], None] = lambda _: None
    clock: frozenset[str] = frozenset()
    """Tools whose results carry the current time (timestamps are masked in their results only)."""


def _workdir(workdir: Path) -> None:
    (workdir / "notes.txt").write_text("plain notes\n", encoding="utf-8")
    (workdir / "sub").mkdir()


def _repo(workdir: Path) -> None:
    repo = workdir / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=30)
    (repo / "README.md").write_text("hello\n", encoding="utf-8")


CASES: dict[str, Case] = {
    "filesystem": Case(
        prepare=_workdir,
        calls=lambda w: [("list_directory", {"path": str(w)}), ("list_allowed_directories", {}),
                         ("read_text_file", {"path": str(w / "notes.txt")}),
                         ("read_text_file", {"path": "/etc/hostname"})],  # outside the allowed directory
    ),
    "everything": Case(calls=lambda _: [("echo", {"message": "héllo wörld"}), ("get-sum", {"a": 2, "b": 40}),
                                        ("get-sum", {"a": "two"})]),
    "time": Case(clock=frozenset({"get_current_time"}), calls=lambda _: [("get_current_time", {"timezone": "UTC"}),
                                  ("convert_time", {"source_timezone": "UTC", "time": "12:00",
                                                    "target_timezone": "Asia/Tokyo"}),
                                  ("get_current_time", {"timezone": "Not/AZone"})]),
    "fetch": Case(calls=lambda _: [("fetch", {"url": "not a url"})]),
    "git": Case(prepare=_repo, calls=lambda w: [("git_status", {"repo_path": str(w / "repo")})]),
}


def session(case: Case, workdir: Path) -> Session:
    async def run(client: Client) -> Observations:
        seen = await lists(client)
        for name, arguments in case.calls(workdir):
            await attempt(seen, f"call {name}", client.call_tool(name, arguments))
        return seen

    return run


async def observe(params: StdioServerParameters, run: Session) -> Observations:
    with anyio.fail_after(90):
        async with Client(params) as client:
            return await run(client)


async def side_by_side(direct: StdioServerParameters, wrapped: StdioServerParameters,
                       run: Session) -> tuple[Observations, Observations]:
    """The same session against both at once (two separate server processes)."""
    seen: dict[str, Observations] = {}

    async def one(key: str, params: StdioServerParameters) -> None:
        seen[key] = await observe(params, run)

    async with anyio.create_task_group() as group:
        group.start_soon(one, "direct", direct)
        group.start_soon(one, "wrapped", wrapped)
    return seen["direct"], seen["wrapped"]


def normalise(seen: Observations, clock: frozenset[str]) -> Observations:
    """The clock moves between the two sessions: mask timestamps in the results of ``clock`` tools only."""
    return [(label, _scrub(value) if label.removeprefix("call ") in clock else value) for label, value in seen]


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return ISO_TIME.sub("<time>", value)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    return value


def garrison(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "garrison", *args], capture_output=True, text=True, timeout=120,
                          check=False)


def server_for(name: str, workdir: Path) -> RealServer:
    return next(s for s in real_servers(workdir) if s.spec.name == name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_server_is_identical_through_wrap(name: str, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    case = CASES[name]
    case.prepare(workdir)
    server = server_for(name, workdir)
    assert server.spec.command is not None
    command = [server.spec.command, *server.spec.args]
    lockfile = tmp_path / "garrison.lock"
    pinned = garrison("pin", "--name", name, "--lockfile", str(lockfile), "--no-store", "--", *command)
    assert pinned.returncode == 0, pinned.stderr

    wrap = [sys.executable, "-m", "garrison", "wrap", "--name", name, "--lockfile", str(lockfile),
            "--unpinned", "block", "--db", str(tmp_path / "audit.db"), "--", *command]
    run = session(case, workdir)
    direct, wrapped = anyio.run(side_by_side, StdioServerParameters(command=command[0], args=command[1:]),
                                StdioServerParameters(command=wrap[0], args=wrap[1:]), run)

    assert normalise(wrapped, case.clock) == normalise(direct, case.clock)
    listed = {tool["name"] for label, tools in direct if label == "tools" for tool in tools}
    assert set(server.tools) <= listed
    assert any(label == "prompts" and items for label, items in direct) == server.prompts
    assert any(label == "resources" and items for label, items in direct) == server.resources
    first_call = next(value for label, value in direct if label.startswith("call "))
    assert isinstance(first_call, dict), first_call
    assert not first_call.get("isError"), first_call
