"""Entry shapes → LaunchSpec: transport inference and key-path lookup."""

from __future__ import annotations

from typing import Any

import pytest

from garrison.discovery import servers_from_document
from garrison.discovery.shapes import entry_to_spec, find_containers
from garrison.model import LaunchSpec


def spec(entry: dict[str, Any], url_transport: str = "http") -> LaunchSpec | None:
    return entry_to_spec("s", entry, client="c", config_path="/p", scope="user", url_transport=url_transport)


@pytest.mark.parametrize(("entry", "transport"), [
    ({"command": "x"}, "stdio"),
    ({"type": "stdio", "command": "x"}, "stdio"),
    ({"type": "local", "command": ["x"]}, "stdio"),
    ({"url": "https://h/mcp"}, "http"),
    ({"url": "https://h/sse"}, "sse"),
    ({"url": "https://h/sse/"}, "sse"),
    ({"type": "sse", "url": "https://h/events"}, "sse"),
    ({"type": "http", "url": "https://h/sse"}, "http"),
    ({"transport": "streamable-http", "url": "https://h"}, "http"),
    ({"type": "streamableHttp", "url": "https://h"}, "http"),
    ({"type": "streamable_http", "uri": "https://h"}, "http"),
    ({"transportType": "sse", "url": "https://h"}, "sse"),
    ({"type": "remote", "url": "https://h"}, "http"),
    ({"httpUrl": "https://h/mcp"}, "http"),
    ({"serverUrl": "https://h/mcp"}, "http"),
    ({"type": "websocket", "url": "wss://h"}, "http"),
    ({"source": "extension"}, "unknown"),
    ({}, "unknown"),
])
def test_transport_inference(entry: dict[str, Any], transport: str) -> None:
    result = spec(entry)
    assert result is not None
    assert result.transport == transport


def test_url_transport_default_is_per_client() -> None:
    assert (spec({"url": "https://h/events"}, "sse") or LaunchSpec("x")).transport == "sse"
    assert (spec({"httpUrl": "https://h/events"}, "sse") or LaunchSpec("x")).transport == "http"


@pytest.mark.parametrize("kind", ["builtin", "platform", "frontend", "inline_python"])
def test_in_process_extensions_are_skipped(kind: str) -> None:
    assert spec({"type": kind, "name": "developer"}) is None


def test_full_entry() -> None:
    assert spec({
        "command": "npx", "args": ["-y", 3], "env": {"A": 1, "B": None, "C": {"nested": 1}},
        "cwd": "/w", "headers": {"H": "1"}, "http_headers": {"I": "2"}, "env_http_headers": {"J": "J_VAR"},
        "enabled": False,
    }) == LaunchSpec(name="s", transport="stdio", command="npx", args=("-y", "3"), env={"A": "1", "B": ""},
                     cwd="/w", headers={"H": "1", "I": "2", "J": "${J_VAR}"}, client="c", config_path="/p",
                     scope="user", disabled=True)


def test_dotted_and_nested_keys_and_wildcards() -> None:
    doc = {"mcp.servers": {"a": {}}, "mcp": {"servers": {"b": {}}},
           "projects": {"/x": {"mcpServers": {"c": {}}}, "/y": {}}}
    found = [(where, scope) for _, where, scope in find_containers(doc, ["mcp", "servers"], "user")]
    assert found == [("mcp.servers", "user"), ("mcp.servers", "user")]
    keys = ["projects", "*", "mcpServers"]
    found = [(where, scope) for _, where, scope in find_containers(doc, keys, "user")]
    assert found == [("projects./x.mcpServers", "project:/x")]
    specs, errors = servers_from_document(doc, client="c", config_path="/p", keys=[["mcp", "servers"]])
    assert ([s.name for s in specs], errors) == (["a", "b"], [])


def test_list_container_uses_the_name_field() -> None:
    specs, errors = servers_from_document({"mcpServers": [{"name": "one", "command": "x"}]}, client="c",
                                          config_path="/p", keys=[["mcpServers"]])
    assert [(s.name, s.command) for s in specs] == [("one", "x")]
    assert errors == []
