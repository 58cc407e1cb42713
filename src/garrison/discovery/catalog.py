"""The client catalog: ``clients.yaml`` loaded, validated and expanded into concrete paths.

Pure apart from reading the packaged data file: expansion takes the home directory, the environment, the
platform and the project directories as values and returns path strings without touching the file system.
Every problem of a catalog is reported at once, each with its place (``clients[3].configs[0].keys``).
"""

from __future__ import annotations

import glob
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from garrison.errors import ConfigError

__all__ = [
    "FORMATS",
    "PLATFORMS",
    "Catalog",
    "ClientDef",
    "ConfigDef",
    "Target",
    "default_catalog",
    "load_catalog",
    "normalize_platform",
]

PLATFORMS = ("linux", "darwin", "win32")
FORMATS = ("json", "jsonc", "toml", "yaml", "auto")
TRANSPORTS = ("stdio", "http", "sse")
BUILTIN_VARIABLES = ("home", "project")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_GLOB_CHARS = re.compile(r"[*?\[]")


def normalize_platform(platform: str) -> str:
    """``sys.platform`` → one of ``PLATFORMS`` (other Unix-likes use the Linux layout)."""
    if platform.startswith(("win", "cygwin", "msys")):
        return "win32"
    return "darwin" if platform == "darwin" else "linux"


@dataclass(frozen=True, slots=True)
class ConfigDef:
    """One kind of config file of a client."""

    paths: Mapping[str, tuple[str, ...]]
    """Platform (or ``all``) → path templates."""
    format: str
    keys: tuple[tuple[str, ...], ...]
    url_transport: str = "http"


@dataclass(frozen=True, slots=True)
class ClientDef:
    id: str
    name: str
    configs: tuple[ConfigDef, ...]


@dataclass(frozen=True, slots=True)
class Target:
    """One concrete path (or glob pattern) to look at, and how to read it."""

    client: str
    pattern: str
    is_glob: bool
    format: str
    keys: tuple[tuple[str, ...], ...]
    url_transport: str
    scope: str
    """``user`` or ``project:<dir>``."""


@dataclass(frozen=True, slots=True)
class Catalog:
    variables: tuple[tuple[str, str, str], ...]
    """``(name, environment variable, default template)`` in resolution order."""
    clients: tuple[ClientDef, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.clients)

    def resolve_variables(self, home: Path, environ: Mapping[str, str]) -> dict[str, str]:
        values = {"home": str(home)}
        for name, env, default in self.variables:
            values[name] = environ.get(env) or default.format_map(values)
        return values

    def targets(
        self,
        *,
        home: Path,
        environ: Mapping[str, str],
        platform: str,
        project_dirs: Sequence[Path],
        clients: Sequence[str] | None = None,
    ) -> Iterator[Target]:
        """Every path to look at, user-level first, in catalog order. No file is touched."""
        plat = normalize_platform(platform)
        values = self.resolve_variables(home, environ)
        wanted = None if clients is None else set(clients)
        for client in self.clients:
            if wanted is not None and client.id not in wanted:
                continue
            for config in client.configs:
                templates = config.paths.get(plat, ()) + config.paths.get("all", ())
                for template in templates:
                    yield from self._expand(client.id, config, template, values, project_dirs)

    @staticmethod
    def _expand(client: str, config: ConfigDef, template: str, values: Mapping[str, str],
                project_dirs: Sequence[Path]) -> Iterator[Target]:
        is_glob = bool(_GLOB_CHARS.search(template))
        per_project = "{project}" in template
        for project in project_dirs if per_project else (None,):
            local = dict(values)
            if project is not None:
                local["project"] = str(project)
            if is_glob:
                local = {k: glob.escape(v) for k, v in local.items()}
            yield Target(
                client=client,
                pattern=template.format_map(local),
                is_glob=is_glob,
                format=config.format,
                keys=config.keys,
                url_transport=config.url_transport,
                scope=f"project:{project}" if project is not None else "user",
            )


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _check_template(template: str, known: set[str], where: str, problems: list[str]) -> None:
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as err:
        problems.append(f"{where}: bad template {template!r}: {err}")
        return
    problems.extend(f"{where}: unknown placeholder {{{f}}} in {template!r}" for f in fields if f not in known)


def _config(raw: Any, known: set[str], where: str, problems: list[str]) -> ConfigDef | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be a mapping")
        return None
    paths_raw = raw.get("paths")
    paths: dict[str, tuple[str, ...]] = {}
    if not isinstance(paths_raw, Mapping) or not paths_raw:
        problems.append(f"{where}.paths: must be a non-empty mapping of platform to path list")
    else:
        for plat, templates in paths_raw.items():
            if plat not in (*PLATFORMS, "all"):
                problems.append(f"{where}.paths: unknown platform {plat!r} (use {', '.join(PLATFORMS)}, all)")
            elif not _str_list(templates) or not templates:
                problems.append(f"{where}.paths.{plat}: must be a non-empty list of strings")
            else:
                for template in templates:
                    _check_template(template, known, f"{where}.paths.{plat}", problems)
                paths[plat] = tuple(templates)
    fmt = raw.get("format")
    if fmt not in FORMATS:
        problems.append(f"{where}.format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    keys = raw.get("keys")
    if not isinstance(keys, list) or not keys or not all(_str_list(k) and k for k in keys):
        problems.append(f"{where}.keys: must be a non-empty list of non-empty key paths")
        keys = []
    url_transport = raw.get("url_transport", "http")
    if url_transport not in TRANSPORTS:
        problems.append(f"{where}.url_transport: must be one of {', '.join(TRANSPORTS)}")
    unknown = set(raw) - {"paths", "format", "keys", "url_transport"}
    if unknown:
        problems.append(f"{where}: unknown fields {sorted(unknown)}")
    return ConfigDef(paths, str(fmt), tuple(tuple(k) for k in keys), str(url_transport))


def load_catalog(data: Any, *, where: str = "clients.yaml") -> Catalog:
    """Validate a parsed catalog document. Raises ``ConfigError`` listing every problem found."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise ConfigError("catalog must be a mapping with 'variables' and 'clients'", where=where)
    known = set(BUILTIN_VARIABLES)
    variables: list[tuple[str, str, str]] = []
    for name, spec in (data.get("variables") or {}).items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("env"), str) \
                or not isinstance(spec.get("default"), str):
            problems.append(f"variables.{name}: needs string 'env' and 'default'")
            continue
        _check_template(spec["default"], known - {"project"}, f"variables.{name}", problems)
        known.add(str(name))
        variables.append((str(name), spec["env"], spec["default"]))
    clients: list[ClientDef] = []
    seen: set[str] = set()
    raw_clients = data.get("clients")
    if not isinstance(raw_clients, list) or not raw_clients:
        problems.append("clients: must be a non-empty list")
        raw_clients = []
    for i, raw in enumerate(raw_clients):
        here = f"clients[{i}]"
        if not isinstance(raw, Mapping):
            problems.append(f"{here}: must be a mapping")
            continue
        cid, name, configs = raw.get("id"), raw.get("name"), raw.get("configs")
        if not isinstance(cid, str) or not _ID.match(cid):
            problems.append(f"{here}.id: must be lower-case letters, digits and '-', got {cid!r}")
            cid = f"<{i}>"
        elif cid in seen:
            problems.append(f"{here}.id: duplicate id {cid!r}")
        seen.add(cid)
        if not isinstance(name, str) or not name:
            problems.append(f"{here}.name: must be a non-empty string")
        if not isinstance(configs, list) or not configs:
            problems.append(f"{here}.configs: must be a non-empty list")
            configs = []
        defs = [_config(c, known, f"{here}.configs[{j}]", problems) for j, c in enumerate(configs)]
        clients.append(ClientDef(cid, str(name), tuple(d for d in defs if d is not None)))
    if problems:
        raise ConfigError("invalid client catalog:\n  " + "\n  ".join(problems), where=where)
    return Catalog(tuple(variables), tuple(clients))


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The packaged ``clients.yaml``."""
    import yaml

    text = resources.files("garrison.discovery").joinpath("clients.yaml").read_text(encoding="utf-8")
    return load_catalog(yaml.safe_load(text), where="garrison/discovery/clients.yaml")
