"""The five third-party reference servers, snapshotted concurrently.

Run ``scripts/install-test-servers`` first; without it these tests skip and say so.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from real_servers import missing, real_servers

from garrison.protocol import snapshot_all

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.fixture(autouse=True)
def _installed() -> None:
    reason = missing()
    if reason is not None:
        pytest.skip(reason)


async def test_all_five_concurrently(tmp_path: Path) -> None:
    servers = real_servers(tmp_path)
    started = time.monotonic()
    results = await snapshot_all([s.spec for s in servers], timeout=60, concurrency=5)
    wall = time.monotonic() - started
    assert [(r.name, r.status, r.error) for r in results] == [(s.spec.name, "ok", None) for s in servers]
    for server, result in zip(servers, results, strict=True):
        snap = result.snapshot
        assert snap is not None
        names = {t.key for t in snap.tools}
        assert set(server.tools) <= names, server.spec.name
        assert all(t.raw.get("inputSchema", {}).get("type") == "object" for t in snap.tools), server.spec.name
        assert snap.server_info is not None
        assert snap.protocol_version in ("2025-11-25", "2026-07-28")
        assert bool(snap.prompts) == server.prompts, server.spec.name
        assert bool(snap.resources) == server.resources, server.spec.name
    # Concurrent: the whole batch takes less than the sum of its parts.
    assert wall < sum(r.elapsed or 0 for r in results)


async def test_real_servers_raise_no_poisoning_findings(tmp_path: Path) -> None:
    """The reference servers are honest: no finding from the content, shadowing or collision checks.

    Launch-config findings (G7xx) and toxic-flow findings (G6xx, capability combinations) are about the
    configuration and the mix of capabilities, not about poisoning, and are not counted here.
    """
    from garrison.scanner.runner import analyse

    servers = real_servers(tmp_path)
    results = await snapshot_all([s.spec for s in servers], timeout=60, concurrency=5)
    snapshots = [r.snapshot for r in results if r.snapshot is not None]
    assert len(snapshots) == len(servers)
    poisoning = [
        (f.rule, f.server, f.target, f.severity.label, f.message)
        for f in analyse(snapshots)
        if not f.rule.startswith(("G6", "G7"))
    ]
    assert poisoning == []
