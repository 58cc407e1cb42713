"""Launch specs for the installed third-party servers (``tests/servers/servers.json``, installed by
``scripts/install-test-servers``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from garrison.model import LaunchSpec

ROOT = Path(__file__).resolve().parents[2]
SERVERS = ROOT / "tests" / "servers"
NODE_MODULES = SERVERS / "node_modules"
VENV_BIN = ROOT / ".venv-servers" / "bin"


@dataclass(frozen=True)
class RealServer:
    spec: LaunchSpec
    tools: tuple[str, ...]
    prompts: bool
    resources: bool


def missing() -> str | None:
    """Why the servers cannot run here, or ``None`` when they are installed."""
    for need in (NODE_MODULES / "@modelcontextprotocol" / "server-filesystem",
                 NODE_MODULES / "@modelcontextprotocol" / "server-everything",
                 VENV_BIN / "mcp-server-time", VENV_BIN / "mcp-server-fetch", VENV_BIN / "mcp-server-git"):
        if not need.exists():
            return f"{need} not installed: run scripts/install-test-servers"
    return None


def real_servers(workdir: Path) -> list[RealServer]:
    data = json.loads((SERVERS / "servers.json").read_text(encoding="utf-8"))["servers"]
    subst = {"{node_modules}": str(NODE_MODULES), "{venv_bin}": str(VENV_BIN), "{workdir}": str(workdir)}

    def fill(text: str) -> str:
        for key, value in subst.items():
            text = text.replace(key, value)
        return text

    return [
        RealServer(
            spec=LaunchSpec(name=name, command=fill(body["command"]),
                            args=tuple(fill(a) for a in body["args"])),
            tools=tuple(body["tools"]),
            prompts=bool(body.get("prompts")),
            resources=bool(body.get("resources")),
        )
        for name, body in data.items()
    ]
