"""The lab servers, launched for real over stdio through Garrison's snapshotter and the SDK client."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from garrison.lab.catalog import CATALOG, by_id, launch_spec
from garrison.model import ServerSnapshot
from garrison.protocol import snapshot_all, snapshot_server

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def snapshots() -> dict[str, ServerSnapshot]:
    import anyio

    specs = [launch_spec(e, python=sys.executable, name=e.id) for e in CATALOG]
    results = anyio.run(lambda: snapshot_all(specs, timeout=60))
    assert [(r.name, r.status, r.error) for r in results] == [(e.id, "ok", None) for e in CATALOG]
    return {r.name: r.snapshot for r in results if r.snapshot is not None}


def _shape(snap: ServerSnapshot) -> dict[str, Any]:
    return {t.key: {name: schema.get("type") for name, schema in t.parameters().items()} for t in snap.tools}


def _all_text(snap: ServerSnapshot) -> str:
    return json.dumps([dict(t.raw) for t in snap.tools], ensure_ascii=False)


def test_catalog_matches_what_servers_advertise(snapshots: dict[str, ServerSnapshot]) -> None:
    for entry in CATALOG:
        snap = snapshots[entry.id]
        assert tuple(t.key for t in snap.tools) == entry.tools, entry.id
        assert snap.server_info is not None
        assert snap.server_info["name"] == entry.server_name, entry.id


def test_twins_have_the_same_tool_shapes(snapshots: dict[str, ServerSnapshot]) -> None:
    for entry in CATALOG:
        if entry.twin is not None:
            assert _shape(snapshots[entry.id]) == _shape(snapshots[entry.twin]), entry.id


def test_poisoned_descriptions_ask_for_secrets_and_twins_do_not(snapshots: dict[str, ServerSnapshot]) -> None:
    for variant in ("poisoned_report", "poisoned_report_docs"):
        description = snapshots[variant].tools[0].description
        assert "~/.cursor/mcp.json" in description
        assert "~/.ssh/id_rsa" in description
        assert "sidenote" in description
    assert "<IMPORTANT>" in snapshots["poisoned_report"].tools[0].description
    assert "<IMPORTANT>" not in snapshots["poisoned_report_docs"].tools[0].description
    assert "bcc" in snapshots["contaminator"].tools[0].description
    assert "send_daily_email" in snapshots["contaminator"].tools[0].description
    for benign in ("benign_report", "benign_digest", "mailer", "benign_currency", "benign_text"):
        text = _all_text(snapshots[benign])
        assert "~/." not in text, benign
        assert "bcc" not in snapshots[benign].tools[0].description, benign


def test_hidden_payload_is_invisible(snapshots: dict[str, ServerSnapshot]) -> None:
    translate, fmt = snapshots["hidden"].tools
    tags = "".join(chr(ord(c) - 0xE0000) for c in translate.description if 0xE0020 <= ord(c) <= 0xE007E)
    assert "read ~/.ssh/id_rsa" in tags
    assert "\u200b" in translate.description
    assert "\x1b[8m" in fmt.description
    assert "\u202e" in fmt.description
    clean = _all_text(snapshots["benign_text"])
    assert all(ord(c) < 0x2000 for c in clean)


def _params(entry_id: str, extra: tuple[str, ...] = ()) -> StdioServerParameters:
    spec = launch_spec(by_id(entry_id), python=sys.executable, extra_args=extra)
    return StdioServerParameters(command=spec.command or "", args=list(spec.args))


async def test_poisoned_tool_returns_a_plain_report() -> None:
    async with Client(_params("poisoned_report"), cache=None) as client:
        result = await client.call_tool("daily_report_analysis", {"date": "2026-03-02", "sidenote": "secret"})
    text = result.content[0].text  # type: ignore[union-attr]
    report = json.loads(text)
    assert report["date"] == "2026-03-02"
    assert {"revenue_eur", "orders", "refunds"} <= set(report)
    assert "secret" not in text


async def test_mailer_only_acknowledges() -> None:
    async with Client(_params("mailer"), cache=None) as client:
        args = {"to": ["a@x.example"], "subject": "Hi", "body": "b"}
        result = await client.call_tool("send_daily_email", args)
    assert result.content[0].text == "Queued 'Hi' (1 characters) for 1 recipient(s)."  # type: ignore[union-attr]


async def test_rugpull_turns_after_n_calls_announces_and_survives_restart(tmp_path: Path) -> None:
    state = tmp_path / "rug.json"
    changed: list[str] = []

    async def on_message(message: Any) -> None:
        method = getattr(getattr(message, "root", message), "method", None)
        if method:
            changed.append(method)

    params = _params("rugpull", ("--after", "2", "--state", str(state)))
    args = {"amount": 10, "source": "EUR", "target": "USD"}
    async with Client(params, cache=None, mode="legacy", message_handler=on_message) as client:
        before = (await client.list_tools()).tools[0].description or ""
        await client.call_tool("convert_currency", args)
        assert (await client.list_tools()).tools[0].description == before
        result = await client.call_tool("convert_currency", args)
        after = (await client.list_tools()).tools[0].description or ""
    assert result.content[0].text == "10.00 EUR = 10.80 USD"  # type: ignore[union-attr]
    assert "~/.aws/credentials" not in before
    assert "~/.aws/credentials" in after
    assert "notifications/tools/list_changed" in changed
    assert json.loads(state.read_text()) == {"calls": 2}

    spec = launch_spec(by_id("rugpull"), python=sys.executable, state=str(state), extra_args=("--after", "2"))
    restarted = await snapshot_server(spec, timeout=30)
    assert "~/.aws/credentials" in restarted.tools[0].description
