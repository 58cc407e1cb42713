"""Risky launch configs (G701–G704)."""

from __future__ import annotations

from typing import Any

import pytest

from garrison.model import Evidence, Finding, LaunchSpec, ServerSnapshot, Severity
from garrison.scanner.checks.interface import ScanContext
from garrison.scanner.checks.launch_config import CHECK, INLINE_SECRET, UNPINNED, looks_secret, mask

GH_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def run(**launch: Any) -> list[Finding]:
    spec = LaunchSpec("srv", **launch)
    return sorted(CHECK.run(ScanContext((ServerSnapshot("srv", launch=spec),))), key=Finding.sort_key)


def rules(**launch: Any) -> list[tuple[str, str]]:
    return [(f.rule, f.location) for f in run(**launch)]


@pytest.mark.parametrize(
    ("command", "args", "expected"),
    [
        ("npx", ("-y", "@modelcontextprotocol/server-memory"), [("G701", "args[1]")]),
        ("npx", ("-y", "some-server@latest"), [("G701", "args[1]")]),
        ("npx", ("-y", "some-server@^1.2.0"), [("G701", "args[1]")]),
        ("npx", ("-y", "@scope/server@1.2.3"), []),
        ("npx", ("-y", "./local-server"), []),
        ("npx", ("-y", "-p", "pkg@2.0.0", "run-it"), []),
        ("pnpm", ("dlx", "mcp-thing"), [("G701", "args[1]")]),
        ("uvx", ("mcp-server-fetch",), [("G701", "args[0]")]),
        ("uvx", ("mcp-server-fetch==2025.1.17",), []),
        ("uvx", ("--from", "mcp-server-git==1.0.0", "mcp-server-git"), []),
        ("uv", ("tool", "run", "mcp-server-time"), [("G701", "args[2]")]),
        ("pipx", ("run", "mcp-tool"), [("G701", "args[1]")]),
        ("docker", ("run", "-i", "--rm", "-e", "TOKEN", "mcp/github"), [("G701", "args[5]")]),
        ("docker", ("run", "-i", "mcp/github:latest"), [("G701", "args[2]")]),
        ("docker", ("run", "-i", "mcp/github:1.4.0"), []),
        ("docker", ("run", "-i", "mcp/github@sha256:" + "a" * 64), []),
        ("python", ("-m", "my_server"), []),
        ("node", ("build/index.js",), []),
    ],
)
def test_unpinned_packages(command: str, args: tuple[str, ...], expected: list[tuple[str, str]]) -> None:
    assert rules(command=command, args=args) == expected


def test_unpinned_whole_finding_and_command_string_form() -> None:
    assert run(command="npx", args=("-y", "mcp-remote")) == [
        UNPINNED.finding(
            server="srv",
            target="launch",
            location="args[1]",
            message="npx runs 'mcp-remote' with no version: every start may fetch new code",
            evidence=Evidence("mcp-remote"),
        )
    ]
    assert rules(command="cmd", args=("/c", "npx", "-y", "pkg")) == [("G701", "args[3]")]
    assert rules(command="npx -y pkg") == [("G701", "command")]


@pytest.mark.parametrize(
    ("launch", "expected"),
    [
        ({"transport": "http", "url": "http://mcp.example.com/mcp"}, [("G702", Severity.MEDIUM)]),
        (
            {
                "transport": "http",
                "url": "http://mcp.example.com/mcp",
                "headers": {"Authorization": "${TOK}"},
            },
            [("G702", Severity.HIGH)],
        ),
        ({"transport": "sse", "url": "http://localhost:8080/sse"}, []),
        ({"transport": "sse", "url": "http://127.0.0.1:8080/sse"}, []),
        ({"transport": "sse", "url": "http://[::1]:8080/sse"}, []),
        ({"transport": "http", "url": "https://mcp.example.com/mcp"}, []),
        ({"command": "node", "args": ("proxy.js", "ws://10.0.0.5:9000")}, [("G702", Severity.MEDIUM)]),
    ],
)
def test_plaintext_remote(launch: dict[str, Any], expected: list[tuple[str, Severity]]) -> None:
    assert [(f.rule, f.severity) for f in run(**launch)] == expected


def test_inline_secret_in_env_is_masked() -> None:
    findings = run(command="node", args=("server.js",), env={"GITHUB_TOKEN": GH_TOKEN, "LOG_LEVEL": "debug"})
    assert findings == [
        INLINE_SECRET.finding(
            server="srv",
            target="launch",
            location="env.GITHUB_TOKEN",
            message="a credential is written inline (GITHUB_TOKEN=ghp_****); reference it as ${VAR} instead",
            evidence=Evidence("GITHUB_TOKEN=ghp_****"),
        )
    ]
    assert GH_TOKEN not in repr(findings)


@pytest.mark.parametrize(
    ("launch", "locations"),
    [
        ({"command": "node", "args": ("s.js", "--api-key", "Zx81kQ0pLm22Vb7w")}, ["args[2]"]),
        ({"command": "node", "args": ("s.js", "--token=Zx81kQ0pLm22Vb7w")}, ["args[1]"]),
        ({"command": "node", "args": ("s.js", GH_TOKEN)}, ["args[1]"]),
        ({"transport": "http", "url": "https://u:Sup3rS3cretPw@mcp.example.com/"}, ["url"]),
        ({"transport": "http", "url": "https://mcp.example.com/?api_key=Zx81kQ0pLm22Vb7w"}, ["url"]),
        (
            {
                "transport": "http",
                "url": "https://mcp.example.com/",
                "headers": {"Authorization": "Bearer Zx81kQ0pLm22Vb7wQ"},
            },
            ["headers.Authorization"],
        ),
        # hard negatives: references, placeholders, ordinary values
        (
            {
                "command": "node",
                "args": ("s.js",),
                "env": {
                    "API_KEY": "${API_KEY}",
                    "TOKEN": "$TOKEN",
                    "PASSWORD": "your-password-here",
                    "SECRET_PATH": "/run/secrets/key",
                    "AUTH_MODE": "oauth",
                    "KEY_COUNT": "12345678",
                },
            },
            [],
        ),
        (
            {
                "transport": "http",
                "url": "https://mcp.example.com/",
                "headers": {"Authorization": "Bearer ${TOKEN}"},
            },
            [],
        ),
        ({"command": "node", "args": ("s.js", "--monkey", "Zx81kQ0pLm22Vb7w")}, []),
    ],
)
def test_inline_secrets(launch: dict[str, Any], locations: list[str]) -> None:
    assert [f.location for f in run(**launch) if f.rule == "G703"] == locations


@pytest.mark.parametrize(
    ("command", "args", "expected"),
    [
        ("npx", ("-y", "@modelcontextprotocol/server-filesystem@1.0.0", "/"), [("G704", Severity.MEDIUM)]),
        ("npx", ("-y", "@modelcontextprotocol/server-filesystem@1.0.0", "~"), [("G704", Severity.MEDIUM)]),
        ("node", ("fs.js", "C:\\"), [("G704", Severity.MEDIUM)]),
        ("node", ("browser.js", "--no-sandbox"), [("G704", Severity.MEDIUM)]),
        ("node", ("agent.js", "--dangerously-skip-permissions"), [("G704", Severity.MEDIUM)]),
        ("deno", ("run", "-A", "server.ts"), [("G704", Severity.MEDIUM)]),
        ("docker", ("run", "--privileged", "img:1.0"), [("G704", Severity.HIGH)]),
        ("docker", ("run", "-v", "/:/host", "img:1.0"), [("G704", Severity.HIGH)]),
        ("docker", ("run", "--network", "host", "img:1.0"), [("G704", Severity.MEDIUM)]),
        # hard negatives
        ("npx", ("-y", "@modelcontextprotocol/server-filesystem@1.0.0", "/home/me/projects"), []),
        ("docker", ("run", "-v", "/data:/data", "img:1.0"), []),
        ("node", ("server.js", "--allow-read=/tmp"), []),
    ],
)
def test_overbroad_access(command: str, args: tuple[str, ...], expected: list[tuple[str, Severity]]) -> None:
    assert [(f.rule, f.severity) for f in run(command=command, args=args)] == expected


def test_mask_shows_little() -> None:
    assert mask("short") == "****"
    assert mask(GH_TOKEN) == "ghp_****"


def test_looks_secret_needs_a_secret_name_or_known_shape() -> None:
    assert looks_secret("X", GH_TOKEN)
    assert looks_secret("DB_PASSWORD", "c0rrectHorse")
    assert not looks_secret("DB_HOST", "c0rrectHorse")
    assert not looks_secret("DB_PASSWORD", "${DB_PASSWORD}")


def test_server_without_launch_is_skipped() -> None:
    assert list(CHECK.run(ScanContext((ServerSnapshot("srv"),)))) == []
