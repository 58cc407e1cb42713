"""Find every configured MCP server on this machine without launching anything.

The only I/O of discovery: stat, glob and read the files that the catalog names. The home directory, the
environment, the working directory and the platform are parameters, so tests build a fake machine in a
temporary directory. Nothing is ever written. A missing file is not an error; a file that cannot be read,
is too large or does not parse is reported with its path (and line), and every other file is still read.
"""

from __future__ import annotations

import glob
import os
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from garrison.discovery.catalog import Catalog, Target, default_catalog, normalize_platform
from garrison.discovery.parsers import format_for_path, parse_config_text
from garrison.discovery.shapes import servers_from_document
from garrison.errors import ConfigParseError, UsageError
from garrison.model import LaunchSpec

__all__ = ["MAX_CONFIG_BYTES", "MAX_GLOB_MATCHES", "DiscoveryResult", "default_home", "discover"]

MAX_CONFIG_BYTES = 16 * 1024 * 1024
"""Config files larger than this are reported, not read."""
MAX_GLOB_MATCHES = 256
"""At most this many files per glob pattern (sorted by name); the rest are reported."""


@dataclass(frozen=True, slots=True)
class DiscoveryResult:
    servers: tuple[LaunchSpec, ...]
    """Every server entry found, in catalog order, ``client``/``config_path``/``scope`` filled."""
    errors: tuple[ConfigParseError, ...]
    """Config files (or entries) that could not be read, each with its path and, where known, line."""
    files_read: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.errors


def default_home(environ: Mapping[str, str], platform: str = sys.platform) -> Path:
    """The user's home: ``USERPROFILE`` on Windows, ``HOME`` elsewhere, else the account's home directory."""
    key = "USERPROFILE" if normalize_platform(platform) == "win32" else "HOME"
    value = environ.get(key) or environ.get("HOME")
    return Path(value) if value else Path.home()


def _paths(target: Target, errors: list[ConfigParseError]) -> list[str]:
    if not target.is_glob:
        return [target.pattern]
    matches = sorted(glob.glob(target.pattern))
    if len(matches) > MAX_GLOB_MATCHES:
        errors.append(ConfigParseError(
            f"{len(matches)} files match; only the first {MAX_GLOB_MATCHES} were read", path=target.pattern))
        matches = matches[:MAX_GLOB_MATCHES]
    return matches


def _read(path: str, max_bytes: int) -> str | None:
    """The file's text, ``None`` when it does not exist; ``ConfigParseError`` when it cannot be used.

    Opened without blocking and checked to be a regular file first, so a named pipe or a device planted
    where a config is expected cannot stall or flood discovery.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise ConfigParseError("is a directory, not a config file", path=path) from None
    except OSError as err:
        raise ConfigParseError(f"cannot read: {err.strerror or err}", path=path) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ConfigParseError("is a directory, not a config file", path=path)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigParseError("is not a regular file; not read", path=path)
        if info.st_size > max_bytes:
            raise ConfigParseError(f"file is {info.st_size} bytes, over the {max_bytes}-byte limit; not read",
                                   path=path)
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
    except OSError as err:
        raise ConfigParseError(f"cannot read: {err.strerror or err}", path=path) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ConfigParseError(f"file grew past the {max_bytes}-byte limit; not read", path=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ConfigParseError("not valid UTF-8", path=path, line=line) from None


def _project_dirs(cwd: Path, project_dirs: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for raw in project_dirs or (cwd,):
        path = raw if raw.is_absolute() else cwd / raw
        path = Path(os.path.normpath(path))
        if path not in out:
            out.append(path)
    return out


def _client_ids(clients: Sequence[str] | str | None, catalog: Catalog) -> list[str] | None:
    if clients is None:
        return None
    names = [c.strip() for item in ([clients] if isinstance(clients, str) else clients)
             for c in item.split(",") if c.strip()]
    unknown = [c for c in names if c not in catalog.ids]
    if unknown:
        raise UsageError(f"unknown client {', '.join(map(repr, unknown))}; known: {', '.join(catalog.ids)}")
    return names or None


def discover(
    *,
    home: Path,
    environ: Mapping[str, str],
    cwd: Path,
    platform: str = sys.platform,
    project_dirs: Sequence[Path] = (),
    clients: Sequence[str] | None = None,
    catalog: Catalog | None = None,
    max_file_bytes: int = MAX_CONFIG_BYTES,
) -> DiscoveryResult:
    """Every MCP server configured for the clients in the catalog (default: all of them).

    ``project_dirs`` (default: ``cwd``) are searched for project-level configs; relative ones are taken from
    ``cwd``. ``clients`` limits discovery to those client ids (comma-separated names are accepted); an unknown
    id is a ``UsageError``. Each file is read once, by the first entry that names it (user-level first).
    """
    catalog = default_catalog() if catalog is None else catalog
    wanted = _client_ids(clients, catalog)
    servers: list[LaunchSpec] = []
    errors: list[ConfigParseError] = []
    files_read: list[str] = []
    seen: set[str] = set()
    targets = catalog.targets(home=home, environ=environ, platform=platform,
                              project_dirs=_project_dirs(cwd, project_dirs), clients=wanted)
    for target in targets:
        for path in _paths(target, errors):
            key = os.path.normcase(os.path.normpath(path))
            if key in seen:
                continue
            seen.add(key)
            try:
                text = _read(path, max_file_bytes)
                if text is None:
                    continue
                files_read.append(path)
                doc = parse_config_text(text, fmt=format_for_path(path, target.format), path=path)
            except ConfigParseError as err:
                errors.append(err)
                continue
            found, problems = servers_from_document(
                doc, client=target.client, config_path=path, keys=target.keys, scope=target.scope,
                url_transport=target.url_transport)
            servers.extend(found)
            errors.extend(problems)
    return DiscoveryResult(tuple(servers), tuple(errors), tuple(files_read))
