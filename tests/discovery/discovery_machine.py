"""A fake machine for discovery tests: every supported client's config, where that client keeps it on each
platform (Linux, macOS, Windows layouts), with the servers discover() must find."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Machine:
    root: Path
    platform: str
    home: Path
    environ: dict[str, str]
    project: Path
    user_dirs: dict[str, Path]
    expected: set[tuple[str, str, str, str]] = field(default_factory=set)
    """``(client, server name, transport, scope)``."""

    def write(self, path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def write_json(self, path: Path, value: object) -> Path:
        return self.write(path, json.dumps(value, indent=2))


def _layout(root: Path, platform: str) -> tuple[Path, dict[str, str], dict[str, Path]]:
    """Home, environment and the per-platform application-data directories."""
    if platform == "win32":
        home = root / "Users" / "ada"
        appdata = root / "Roaming"  # deliberately not under home: APPDATA must be honoured
        environ = {"USERPROFILE": str(home), "APPDATA": str(appdata)}
        apps = appdata
        return home, environ, {"apps": apps, "zed": appdata / "Zed", "goose": appdata / "Block/goose/config",
                               "claude": appdata / "Claude"}
    if platform == "darwin":
        home = root / "Users" / "ada"
        apps = home / "Library" / "Application Support"
        return home, {"HOME": str(home)}, {"apps": apps, "zed": home / ".config/zed",
                                           "goose": home / ".config/goose", "claude": apps / "Claude"}
    home = root / "home" / "ada"
    xdg = root / "xdg"  # deliberately not ~/.config: XDG_CONFIG_HOME must be honoured
    return home, {"HOME": str(home), "XDG_CONFIG_HOME": str(xdg)}, {
        "apps": xdg, "zed": xdg / "zed", "goose": xdg / "goose", "claude": xdg / "Claude"}


def build_machine(root: Path, platform: str) -> Machine:
    home, environ, dirs = _layout(root, platform)
    project = root / "work" / "proj"
    project.mkdir(parents=True)
    m = Machine(root, platform, home, environ, project, dirs)
    user, proj = "user", f"project:{project}"
    apps = dirs["apps"]

    m.write_json(dirs["claude"] / "claude_desktop_config.json", {
        "mcpServers": {"fs": {"command": "npx", "args": ["-y", "@scope/server-fs", "/tmp"]}},
        "globalShortcut": "",
    })
    m.expected.add(("claude-desktop", "fs", "stdio", user))

    m.write_json(home / ".claude.json", {
        "numStartups": 3,
        "mcpServers": {"notes": {"type": "stdio", "command": "uvx", "args": ["notes-mcp"],
                                 "env": {"K": "v"}}},
        "projects": {
            "/srv/app": {"mcpServers": {"db": {"type": "http", "url": "https://db.example/mcp"}}},
            "/srv/empty": {"allowedTools": []},
        },
    })
    m.expected |= {("claude-code", "notes", "stdio", user), ("claude-code", "db", "http", "project:/srv/app")}
    m.write_json(project / ".mcp.json", {"mcpServers": {"team": {"type": "sse", "url": "https://team.example/sse"}}})
    m.expected.add(("claude-code", "team", "sse", proj))

    m.write(home / ".cursor/mcp.json", """{
  // global servers
  "mcpServers": {
    "browser": {"command": "npx", "args": ["@scope/browser@1.2.3"],},
    "docs": {"url": "https://docs.example/mcp", "headers": {"Authorization": "Bearer abc"}}, /* remote */
  },
}""")
    m.expected |= {("cursor", "browser", "stdio", user), ("cursor", "docs", "http", user)}
    m.write_json(project / ".cursor/mcp.json", {"mcpServers": {"local": {"command": "./run.sh"}}})
    m.expected.add(("cursor", "local", "stdio", proj))

    m.write_json(home / ".codeium/windsurf/mcp_config.json", {"mcpServers": {
        "zap": {"serverUrl": "https://actions.example/mcp/sse"},
        "git": {"command": "uvx", "args": ["mcp-server-git"], "disabled": True},
    }})
    m.expected |= {("windsurf", "zap", "sse", user), ("windsurf", "git", "stdio", user)}

    code_user = apps / "Code" / "User"
    m.write(code_user / "settings.json", """{
  "editor.fontSize": 13,
  // MCP servers in user settings, written as a flat dotted key
  "mcp.servers": {"memory": {"command": "npx", "args": ["-y", "@scope/memory"]}},
}""")
    m.write(code_user / "mcp.json", """{
  "inputs": [{"type": "promptString", "id": "key", "password": true}],
  "servers": {
    "search": {"type": "http", "url": "https://search.example/mcp", "headers": {"X-Key": "${input:key}"}},
  }
}""")
    m.write_json(code_user / "profiles/a1b2/mcp.json",
                 {"servers": {"profiled": {"command": "node", "args": ["s.js"]}}})
    m.write_json(project / ".vscode/mcp.json", {"servers": {"ws": {"type": "stdio", "command": "python",
                                                                    "args": ["-m", "ws_server"]}}})
    m.expected |= {("vscode", "memory", "stdio", user), ("vscode", "search", "http", user),
                   ("vscode", "profiled", "stdio", user), ("vscode", "ws", "stdio", proj)}
    m.write_json(apps / "Code - Insiders/User/mcp.json",
                 {"servers": {"ins": {"command": "deno", "args": ["x"]}}})
    m.expected.add(("vscode-insiders", "ins", "stdio", user))

    m.write_json(home / ".copilot/mcp-config.json", {"mcpServers": {"cp": {"type": "local", "command": "npx",
                                                                         "tools": ["*"]}}})
    m.expected.add(("copilot-cli", "cp", "stdio", user))

    m.write_json(home / ".gemini/settings.json", {"theme": "x", "mcpServers": {
        "stream": {"httpUrl": "https://stream.example/mcp", "timeout": 5000},
        "legacy": {"url": "https://legacy.example/events"},
        "py": {"command": "python", "args": ["srv.py"], "cwd": "./srv", "trust": False},
    }})
    m.write_json(project / ".gemini/settings.json", {"mcpServers": {"pg": {"command": "pg-mcp"}}})
    m.expected |= {("gemini-cli", "stream", "http", user), ("gemini-cli", "legacy", "sse", user),
                   ("gemini-cli", "py", "stdio", user), ("gemini-cli", "pg", "stdio", proj)}

    codex_home = root / "codex-home"
    m.environ["CODEX_HOME"] = str(codex_home)
    m.write(codex_home / "config.toml", """model = "o3"

[mcp_servers.ctx]
command = "npx"
args = ["-y", "@scope/ctx"]

[mcp_servers.ctx.env]
CTX_TOKEN = "t"

[mcp_servers.remote]
url = "https://remote.example/mcp"
bearer_token_env_var = "REMOTE_TOKEN"
enabled = false
""")
    m.write(project / ".codex/config.toml", '[mcp_servers.proj]\ncommand = "cargo"\nargs = ["run"]\n')
    m.expected |= {("codex", "ctx", "stdio", user), ("codex", "remote", "http", user),
                   ("codex", "proj", "stdio", proj)}

    m.write(dirs["zed"] / "settings.json", """{
  "context_servers": {
    "hex": {"source": "custom", "command": "npx", "args": ["-y", "hexdocs-mcp"], "env": {}},
    "old": {"command": {"path": "/usr/bin/old-mcp", "args": ["--stdio"], "env": {"A": "1"}}},
    "ext": {"source": "extension", "enabled": true, "settings": {}},
    "url": {"url": "https://zed.example/mcp", "headers": {"Authorization": "Bearer z"}},
  },
}""")
    m.expected |= {("zed", "hex", "stdio", user), ("zed", "old", "stdio", user),
                   ("zed", "ext", "unknown", user), ("zed", "url", "http", user)}

    cline = code_user / "globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json"
    m.write_json(cline, {"mcpServers": {
        "weather": {"command": "node", "args": ["w.js"], "disabled": False, "autoApprove": []},
        "stream": {"type": "streamableHttp", "url": "https://cline.example/mcp"},
    }})
    m.expected |= {("cline", "weather", "stdio", user), ("cline", "stream", "http", user)}

    m.write(home / ".continue/config.yaml", """name: my-config
version: 0.0.1
schema: v1
mcpServers:
  - name: sqlite
    command: npx
    args: ["-y", "mcp-sqlite", "/data/db.sqlite"]
  - name: remote
    type: streamable-http
    url: https://continue.example/mcp
    requestOptions:
      headers:
        Authorization: Bearer c
""")
    m.write(project / ".continue/mcpServers/playwright.yaml", """name: Playwright
version: 0.0.1
schema: v1
mcpServers:
  - name: playwright
    command: npx
    args: ["@playwright/mcp@latest"]
""")
    m.write_json(project / ".continue/mcpServers/copied.json", {"mcpServers": {"copied": {"command": "uvx",
                                                                                          "args": ["c"]}}})
    m.expected |= {("continue", "sqlite", "stdio", user), ("continue", "remote", "http", user),
                   ("continue", "playwright", "stdio", proj), ("continue", "copied", "stdio", proj)}

    m.write(dirs["goose"] / "config.yaml", """GOOSE_PROVIDER: openai
extensions:
  developer:
    enabled: true
    name: developer
    type: builtin
  github:
    enabled: true
    name: github
    type: stdio
    cmd: npx
    args: [-y, "@scope/github"]
    envs: {GITHUB_PERSONAL_ACCESS_TOKEN: secret}
  tracker:
    enabled: false
    name: tracker
    type: streamable_http
    uri: https://tracker.example/mcp
  events:
    enabled: true
    type: sse
    uri: https://events.example/stream
  nested:
    enabled: true
    config:
      type: stdio
      name: nested
      cmd: uvx
      args: [nested-mcp]
""")
    m.expected |= {("goose", "github", "stdio", user), ("goose", "tracker", "http", user),
                   ("goose", "events", "sse", user), ("goose", "nested", "stdio", user)}
    return m
