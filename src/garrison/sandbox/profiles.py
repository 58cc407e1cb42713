"""Sandbox profiles as data: ``profiles.yaml`` loaded and validated into frozen :class:`Profile` values.

A profile says what a wrapped server may reach: the network (all or nothing), the paths named in its own
arguments (read-only or read-write) and the paths the user allows with ``--sandbox-allow``. The host's system
directories are always read-only, ``$HOME`` and ``/tmp`` are always empty and private. Every error names the
file and the profile at fault; all problems are reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from garrison.errors import ConfigError

__all__ = [
    "BEHAVIOURS",
    "Access",
    "Profile",
    "SandboxCatalog",
    "default_catalog",
    "load_catalog",
]

Access = Literal["none", "ro", "rw"]
_ACCESS: tuple[Access, ...] = ("none", "ro", "rw")

BEHAVIOURS: Mapping[str, str] = {
    "read_home_secrets": "read ~/.ssh/id_rsa and other files under $HOME",
    "write_home": "write files under $HOME",
    "write_server_paths": "write to the paths named in the server's own arguments",
    "open_socket": "open a network connection (TCP to 127.0.0.1 or the internet)",
    "signal_host_processes": "see or signal processes outside the sandbox",
}
"""What a profile can block, by the ID used in ``profiles.yaml`` ``blocks`` and in ``docs/sandbox.md``."""


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    summary: str
    sandboxed: bool = True
    network: bool = False
    server_paths: Access = "none"
    """Access to the directories and files named in the server's own arguments."""
    allow: Access = "ro"
    """Access to the paths given with ``--sandbox-allow``."""
    blocks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SandboxCatalog:
    profiles: Mapping[str, Profile]
    system: tuple[str, ...]
    mask: tuple[str, ...]
    unset_env: tuple[str, ...]
    runtime_home_rw: Mapping[str, tuple[str, ...]]
    """Command file name → home-relative directories the runtime writes (package caches)."""

    def profile(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles))
            raise ConfigError(f"unknown sandbox profile {name!r} (expected one of: {known})",
                              where="--sandbox") from None


def _strings(value: Any, where: str, problems: list[str], *, absolute: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(f"{where}: expected a list of non-empty strings")
        return ()
    for v in value:
        if absolute and not v.startswith("/"):
            problems.append(f"{where}: {v!r} is not an absolute path")
        if not absolute and (v.startswith("/") or ".." in v.split("/")):
            problems.append(f"{where}: {v!r} must be a home-relative path without '..'")
    return tuple(value)


def _profile(name: str, raw: Any, problems: list[str]) -> Profile | None:
    where = f"profiles.{name}"
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: expected a mapping")
        return None
    unknown = set(raw) - {"summary", "sandboxed", "network", "server_paths", "allow", "blocks"}
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    summary = raw.get("summary")
    if not isinstance(summary, str) or not summary:
        problems.append(f"{where}.summary: expected text")
    sandboxed, network = raw.get("sandboxed", True), raw.get("network", False)
    for key, value in (("sandboxed", sandboxed), ("network", network)):
        if not isinstance(value, bool):
            problems.append(f"{where}.{key}: expected true or false")
    server_paths, allow = raw.get("server_paths", "none"), raw.get("allow", "ro")
    for key, value in (("server_paths", server_paths), ("allow", allow)):
        if value not in _ACCESS:
            problems.append(f"{where}.{key}: expected one of {', '.join(_ACCESS)}")
    blocks = _strings(raw.get("blocks", []), f"{where}.blocks", problems, absolute=False)
    problems.extend(f"{where}.blocks: unknown behaviour {b!r}" for b in blocks if b not in BEHAVIOURS)
    if sandboxed is False and (network or blocks):
        problems.append(f"{where}: an unsandboxed profile cannot restrict anything")
    if network is True and "open_socket" in blocks:
        problems.append(f"{where}: allows the network but claims to block open_socket")
    return Profile(name=name, summary=str(summary), sandboxed=bool(sandboxed), network=bool(network),
                   server_paths=server_paths, allow=allow, blocks=blocks)


def load_catalog(data: Any, *, where: str = "profiles.yaml") -> SandboxCatalog:
    """Validate parsed ``profiles.yaml`` data; raise :class:`ConfigError` listing every problem."""
    problems: list[str] = []
    if not isinstance(data, Mapping) or data.get("version") != 1:
        raise ConfigError("expected a mapping with 'version: 1'", where=where)
    raw_profiles = data.get("profiles")
    profiles: dict[str, Profile] = {}
    if not isinstance(raw_profiles, Mapping) or not raw_profiles:
        problems.append("profiles: expected a non-empty mapping")
    else:
        for name, raw in raw_profiles.items():
            profile = _profile(str(name), raw, problems)
            if profile is not None:
                profiles[profile.name] = profile
    runtimes: dict[str, tuple[str, ...]] = {}
    raw_runtimes = data.get("runtimes", {})
    if not isinstance(raw_runtimes, Mapping):
        problems.append("runtimes: expected a mapping")
    else:
        for name, raw in raw_runtimes.items():
            value = raw.get("home_rw", []) if isinstance(raw, Mapping) else None
            runtimes[str(name)] = _strings(value, f"runtimes.{name}.home_rw", problems)
    catalog = SandboxCatalog(
        profiles=profiles,
        system=_strings(data.get("system"), "system", problems, absolute=True),
        mask=_strings(data.get("mask", []), "mask", problems, absolute=True),
        unset_env=tuple(data.get("unset_env", [])) if isinstance(data.get("unset_env", []), list) else (),
        runtime_home_rw=runtimes,
    )
    if not all(isinstance(v, str) for v in catalog.unset_env):
        problems.append("unset_env: expected a list of variable names")
    if problems:
        raise ConfigError("invalid sandbox profiles:\n  " + "\n  ".join(problems), where=where)
    return catalog


@cache
def default_catalog() -> SandboxCatalog:
    """The packaged ``profiles.yaml``."""
    import yaml

    text = resources.files("garrison.sandbox").joinpath("profiles.yaml").read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"does not parse: {err}", where=f"garrison/sandbox/profiles.yaml{line}") from None
    return load_catalog(data, where="garrison/sandbox/profiles.yaml")
