"""Where the servers of a ``scan``/``snapshot``/``pin``/``approve`` come from: the client configs on this
machine (default), saved snapshot files (``--input``), one stdio command (``-- COMMAND ARGS…``) or one
remote URL (``--url``). Shared options are registered here so the four commands agree."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from garrison.cli.args import env_option

if TYPE_CHECKING:
    from garrison.model import LaunchSpec
    from garrison.model.scan import ServerResult
    from garrison.model.snapshot import Transport

__all__ = ["Collected", "add_source_options", "collect"]

DEFAULT_TIMEOUT = 30.0


def add_source_options(parser: argparse.ArgumentParser, *, launch: bool = True) -> None:
    group = parser.add_argument_group("sources (default: every MCP server configured on this machine)")
    env_option(group, "--input", "-i", env="GARRISON_INPUT", env_separator=os.pathsep, action="append", metavar="FILE",
               help="scan a saved snapshot file instead of connecting (repeatable; '-' reads stdin)")
    env_option(group, "--url", env="GARRISON_URL", metavar="URL",
               help="scan one remote server (streamable HTTP; SSE when the URL ends in /sse or with --sse)")
    env_option(group, "--sse", env="GARRISON_SSE", action="store_true", help="treat --url as an SSE endpoint")
    env_option(group, "--name", env="GARRISON_NAME", metavar="NAME",
               help="server name for --url or '-- COMMAND' (default: derived from the command or host)")
    env_option(group, "--client", env="GARRISON_CLIENT", action="append", metavar="CLIENT",
               help="only servers configured for this client (repeatable; see 'garrison inventory')")
    env_option(group, "--project", env="GARRISON_PROJECT", env_separator=os.pathsep, action="append", metavar="DIR",
               help="also read project-level configs in DIR (default: the current directory)")
    if launch:
        env_option(group, "--no-launch", env="GARRISON_NO_LAUNCH", action="store_true",
                   help="do not start or contact any server: analyse launch configs only")
        env_option(group, "--timeout", env="GARRISON_TIMEOUT", type=float, default=DEFAULT_TIMEOUT,
                   metavar="SECONDS", help=f"per-server time limit (default {DEFAULT_TIMEOUT:g})")
        env_option(group, "--concurrency", env="GARRISON_CONCURRENCY", type=int, default=8, metavar="N",
                   help="servers contacted at once (default 8)")
    group.add_argument("--", dest="command_argv", default=[], metavar="COMMAND ARGS", nargs="*",
                       help="one stdio server started with this command (everything after '--')")


@dataclass(frozen=True, slots=True)
class Collected:
    results: tuple[ServerResult, ...]
    unread_configs: tuple[str, ...]
    """Client config files that could not be read (``path:line: reason``): their servers were not checked."""


def _strip_dashdash(argv: Sequence[str]) -> list[str]:
    argv = list(argv)
    return argv[1:] if argv[:1] == ["--"] else argv


_LAUNCHERS = frozenset({"python", "python3", "node", "npx", "uvx", "uv", "bunx", "bun", "deno", "pipx", "docker",
                        "podman", "pnpm", "npm", "yarn", "run", "tool", "dlx", "exec"})


def command_name(argv: Sequence[str]) -> str:
    """A readable server name for a command line: ``npx -y @scope/server-x@1.2 /tmp`` → ``server-x``,
    ``python -m pkg.server`` → ``pkg.server``, ``/usr/bin/my-server`` → ``my-server``."""
    words = list(argv)
    for i, word in enumerate(words):
        base = Path(word).name
        if i == 0 and base.split(".")[0].rstrip("0123456789.") not in _LAUNCHERS:
            return base
        if word.startswith("-"):
            continue
        if base.rstrip("0123456789.") in _LAUNCHERS or (i > 0 and words[i - 1] in ("-e", "--env", "-v")):
            continue
        name = word.rsplit("/", 1)[-1] if not word.startswith("@") else word.split("/", 1)[-1]
        name = name.split("@", 1)[0] if not name.startswith("@") else name
        return name or base
    return Path(words[0]).name if words else "server"


def _unique_names(specs: Sequence[LaunchSpec]) -> list[LaunchSpec]:
    """One entry per distinct server; a name used for different servers by several clients gets ``@client``.

    The same server configured identically in two clients is scanned once.
    """
    from garrison.model import digest

    by_key: dict[tuple[str, str], LaunchSpec] = {}
    for spec in specs:
        by_key.setdefault((spec.name, digest(spec.identity())), spec)
    counts: dict[str, int] = {}
    for name, _ in by_key:
        counts[name] = counts.get(name, 0) + 1
    out = []
    for (name, _), spec in by_key.items():
        out.append(replace(spec, name=f"{name}@{spec.client}") if counts[name] > 1 and spec.client else spec)
    return out


def _read_inputs(paths: Sequence[str]) -> list[ServerResult]:
    import sys

    import orjson

    from garrison.errors import ConfigParseError
    from garrison.model import snapshots_from_json
    from garrison.model.scan import ServerResult

    out: list[ServerResult] = []
    for path in paths:
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as err:
            raise ConfigParseError(f"cannot read snapshot: {err.strerror}", path=path) from None
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as err:
            raise ConfigParseError(f"invalid JSON: {err.msg}", path=path, line=err.lineno, column=err.colno) from None
        out.extend(ServerResult(name=s.name, status="ok", snapshot=s, launch=s.launch)
                   for s in snapshots_from_json(doc, where=path))
    return out


def _specs(args: argparse.Namespace, environ: Mapping[str, str], home: Path,
           cwd: Path) -> tuple[list[LaunchSpec], list[str]]:
    from urllib.parse import urlsplit

    from garrison.errors import UsageError
    from garrison.model import LaunchSpec

    argv = _strip_dashdash(args.command_argv or [])
    if argv and args.url:
        raise UsageError("give either --url or '-- COMMAND', not both")
    if argv:
        name = args.name or command_name(argv)
        return [LaunchSpec(name=name, transport="stdio", command=argv[0], args=tuple(argv[1:]))], []
    if args.url:
        parts = urlsplit(args.url)
        if parts.scheme not in ("http", "https"):
            raise UsageError(f"--url must be http:// or https://, got {args.url!r}")
        transport: Transport = "sse" if args.sse or parts.path.rstrip("/").endswith("/sse") else "http"
        return [LaunchSpec(name=args.name or parts.hostname or "remote", transport=transport, url=args.url)], []
    from garrison.discovery import discover

    projects = [Path(p) for p in (args.project or [])] or [cwd]
    found = discover(home=home, environ=environ, cwd=cwd, project_dirs=projects, clients=args.client)
    return _unique_names(found.servers), [str(err) for err in found.errors]


def collect(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
    cwd: Path | None = None,
    launch: bool = True,
) -> Collected:
    """Resolve the sources named on the command line into per-server results (snapshots or failures)."""
    from garrison.model import ServerSnapshot
    from garrison.model.scan import ServerResult

    environ = os.environ if environ is None else environ
    if home is None:
        from garrison.discovery import default_home

        home = default_home(environ)
    cwd = Path.cwd() if cwd is None else cwd
    if args.input:
        from garrison.errors import UsageError

        if args.url or _strip_dashdash(args.command_argv or []):
            raise UsageError("--input cannot be combined with --url or '-- COMMAND'")
        return Collected(tuple(_read_inputs(args.input)), ())
    specs, unread = _specs(args, environ, home, cwd)
    skip = [s for s in specs if s.disabled or not launch or getattr(args, "no_launch", False)]
    live = [s for s in specs if s not in skip]
    results = [
        ServerResult(
            name=s.name,
            status="skipped",
            launch=s,
            snapshot=ServerSnapshot(name=s.name, launch=s),
            error="disabled in client config" if s.disabled else "not launched (--no-launch)",
        )
        for s in skip
    ]
    if live:
        from garrison.protocol import snapshot_all_sync

        results.extend(snapshot_all_sync(live, timeout=args.timeout, concurrency=args.concurrency))
    return Collected(tuple(results), tuple(unread))
