"""The discovery tests' fake machine (every client's config shape, per platform layout), with more
configs written the way people write them by hand: comments, multi-line arrays, CRLF, TOML layouts."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "discovery"))

from discovery_machine import Machine, build_machine

from garrison.install import Machine as Where

__all__ = ["LAUNCHER", "Machine", "add_hand_written", "build_machine", "snapshot_tree", "where"]

LAUNCHER = ("/opt/garrison/bin/garrison",)

HAND_WRITTEN = {
    "codex": """# Codex settings, kept by hand
model = "o3"

[mcp_servers.ctx]  # context server
command = "npx"  # the runner
args = [
  "-y",          # no prompt
  "@scope/ctx",
]

[mcp_servers.ctx.env]
CTX_TOKEN = "t"

[mcp_servers]
short.command = 'cargo'  # dotted keys
inline = { command = "uvx", env = { A = "1" } }  # inline table

[mcp_servers.remote]
url = "https://remote.example/mcp"
""",
    "continue": """# Continue assistant config
name: my-config
version: 0.0.1
schema: v1
mcpServers:
  # a local database
  - name: sqlite
    command: npx  # via npm
    args:
      - -y  # do not prompt
      - mcp-sqlite
      - /data/db.sqlite
  - {name: inline, command: uvx, args: [inline-mcp]}
  - name: remote
    type: streamable-http
    url: https://continue.example/mcp
""",
    "zed": """// Zed settings
{
  "theme": "One Dark",
  /* MCP servers */
  "context_servers": {
    "hex": {
      "source": "custom",
      "command": "npx",
      "args": [
        "-y",  // no prompt
        "hexdocs-mcp"
      ],
    },
    "old": {"command": {"path": "/usr/bin/old-mcp", "args": ["--stdio"]}},
  },
}
""",
}


def add_hand_written(m: Machine) -> dict[str, Path]:
    """Replace three of the machine's configs with commented ones (same servers or a superset)."""
    paths = {
        "codex": Path(m.environ["CODEX_HOME"]) / "config.toml",
        "continue": m.home / ".continue/config.yaml",
        "zed": m.user_dirs["zed"] / "settings.json",
    }
    for client, path in paths.items():
        m.write(path, HAND_WRITTEN[client])
    crlf = m.project / ".cursor/mcp.json"
    crlf.write_bytes(b'{\r\n  "mcpServers": {\r\n    "local": {"command": "./run.sh"} // here\r\n  }\r\n}\r\n')
    return paths


def where(m: Machine) -> Where:
    return Where(home=m.home, environ=m.environ, cwd=m.project, platform=m.platform)


def snapshot_tree(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
