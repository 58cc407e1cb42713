"""clients.yaml is data, and data is tested: the packaged catalog validates, and every problem is listed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from garrison.discovery import default_catalog, load_catalog
from garrison.discovery.catalog import PLATFORMS
from garrison.errors import ConfigError

REQUIRED = {"claude-desktop", "claude-code", "cursor", "windsurf", "vscode", "gemini-cli", "codex", "zed",
            "cline", "continue", "goose"}


def test_packaged_catalog_is_valid_and_covers_the_required_clients() -> None:
    catalog = default_catalog()
    assert REQUIRED <= set(catalog.ids)


def test_every_client_has_a_location_on_every_platform() -> None:
    missing = [
        f"{client.id} on {plat}"
        for client in default_catalog().clients
        for plat in PLATFORMS
        if not any(config.paths.get(plat) or config.paths.get("all") for config in client.configs)
    ]
    assert missing == []


def test_targets_expand_per_platform_and_project() -> None:
    catalog = default_catalog()
    targets = list(catalog.targets(home=Path("/h"), environ={"APPDATA": "/ad"}, platform="win32",
                                   project_dirs=[Path("/p1"), Path("/p2")],
                                   clients=["claude-desktop", "cursor"]))
    assert [(t.client, t.pattern, t.scope) for t in targets] == [
        ("claude-desktop", "/ad/Claude/claude_desktop_config.json", "user"),
        ("cursor", "/h/.cursor/mcp.json", "user"),
        ("cursor", "/p1/.cursor/mcp.json", "project:/p1"),
        ("cursor", "/p2/.cursor/mcp.json", "project:/p2"),
    ]


def test_glob_patterns_escape_the_directories() -> None:
    targets = list(default_catalog().targets(home=Path("/h[1]"), environ={}, platform="linux",
                                             project_dirs=[], clients=["continue"]))
    assert "/h[[]1]/.continue/mcpServers/*.yaml" in [t.pattern for t in targets if t.is_glob]


def test_every_problem_is_listed_at_once() -> None:
    bad = yaml.safe_load("""
variables:
  good: {env: GOOD, default: "{home}/g"}
  broken: {env: 3}
  loops: {env: L, default: "{later}/x"}
clients:
  - id: Bad_Id
    name: ""
    configs:
      - paths: {beos: ["{home}/x"], linux: ["{nope}/y"]}
        format: xml
        keys: []
        url_transport: carrier-pigeon
        extra: 1
  - id: dup
    name: One
    configs: [{paths: {all: ["{good}/a"]}, format: json, keys: [[a]]}]
  - id: dup
    name: Two
    configs: []
""")
    with pytest.raises(ConfigError) as info:
        load_catalog(bad, where="test.yaml")
    text = str(info.value)
    for fragment in [
        "variables.broken: needs string 'env' and 'default'",
        "variables.loops: unknown placeholder {later}",
        "clients[0].id: must be lower-case",
        "clients[0].name: must be a non-empty string",
        "clients[0].configs[0].paths: unknown platform 'beos'",
        "clients[0].configs[0].paths.linux: unknown placeholder {nope}",
        "clients[0].configs[0].format: must be one of",
        "clients[0].configs[0].keys: must be a non-empty list",
        "clients[0].configs[0].url_transport: must be one of",
        "clients[0].configs[0]: unknown fields ['extra']",
        "clients[2].id: duplicate id 'dup'",
        "clients[2].configs: must be a non-empty list",
    ]:
        assert fragment in text
    assert text.startswith("test.yaml: invalid client catalog")


def test_variables_resolve_in_order_and_fall_back_when_empty() -> None:
    catalog = load_catalog({
        "variables": {"a": {"env": "A", "default": "{home}/a"}, "b": {"env": "B", "default": "{a}/b"}},
        "clients": [{"id": "x", "name": "X", "configs": [{"paths": {"all": ["{b}/f"]}, "format": "json",
                                                          "keys": [["k"]]}]}],
    })
    assert catalog.resolve_variables(Path("/h"), {"A": ""})["b"] == "/h/a/b"
    assert catalog.resolve_variables(Path("/h"), {"A": "/elsewhere"})["b"] == "/elsewhere/b"
