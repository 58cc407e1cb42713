"""The pure core: a profile, the server's command and facts about the host in; the sandbox's view of the file
system out (:class:`SandboxPlan`). Backends turn a plan into a command line (:mod:`garrison.sandbox.backends`).

The view is built from nothing: the system directories read-only, an empty private ``/tmp`` and ``$HOME``, the
runtime the server needs read-only, then the paths the profile grants. Later, deeper mounts sit on top of
earlier, shallower ones, so a read-only runtime inside a read-write directory stays read-only.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from garrison.errors import ConfigError
from garrison.sandbox.profiles import Access, Profile, SandboxCatalog

__all__ = ["SANDBOX_TMP", "HostFacts", "Mount", "PathInfo", "SandboxPlan", "build_plan", "is_within"]

SANDBOX_TMP = "/tmp"  # noqa: S108 - the sandbox's own empty tmpfs, never the host's /tmp

MountKind = Literal["ro", "rw", "symlink", "mask_file", "mask_dir", "tmpfs"]
_STRENGTH: Mapping[MountKind, int] = {"tmpfs": 0, "ro": 1, "rw": 2, "symlink": 3, "mask_file": 4, "mask_dir": 4}


@dataclass(frozen=True, slots=True)
class PathInfo:
    kind: Literal["dir", "file", "link", "missing"]
    target: str = ""
    """The link's target as written (``usr/bin``) for ``link``."""


@dataclass(frozen=True, slots=True)
class Mount:
    kind: MountKind
    path: str
    target: str = ""


@dataclass(frozen=True, slots=True)
class HostFacts:
    """What the edge found on the host (see :func:`garrison.sandbox.host.probe_host`)."""

    executable: str
    """The command resolved on ``PATH``, not following links (a venv's ``bin/python`` stays as it is)."""
    paths: Mapping[str, PathInfo]
    """Every system and mask path of the catalog, looked up."""
    runtime: tuple[str, ...] = ()
    """Directories and files the server's runtime needs read-only (interpreter prefix, venv, sources)."""
    server_paths: tuple[str, ...] = ()
    """Existing paths named in the server's arguments, absolute and normalised."""
    allow: tuple[str, ...] = ()
    """Existing paths given with ``--sandbox-allow``, absolute and normalised."""
    runtime_home_rw: tuple[str, ...] = ()
    """Existing home-relative caches the runtime writes (``~/.npm`` for ``npx``), absolute."""
    dirs: frozenset[str] = frozenset()
    """Which of ``server_paths``/``allow``/``runtime`` are directories."""


@dataclass(frozen=True, slots=True)
class SandboxPlan:
    profile: Profile
    argv: tuple[str, ...]
    home: str
    mounts: tuple[Mount, ...]
    chdir: str
    setenv: Mapping[str, str] = field(default_factory=dict)
    unsetenv: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def network(self) -> bool:
        return self.profile.network

    def visible(self, access: Access) -> tuple[str, ...]:
        """Paths bound with exactly ``access`` (``ro`` or ``rw``)."""
        return tuple(m.path for m in self.mounts if m.kind == access)


def is_within(path: str, parent: str) -> bool:
    """``path`` is ``parent`` or below it (both absolute and normalised)."""
    return path == parent or parent == "/" or path.startswith(parent.rstrip("/") + "/")


def _depth(path: str) -> int:
    return 0 if path == "/" else path.count("/")


def _check_grant(path: str, access: Access, *, home: str, system: Sequence[str], why: str) -> None:
    if is_within(home, path):
        raise ConfigError(f"{path} would give the server the whole home directory; name a narrower path",
                          where=why)
    if access == "rw" and any(is_within(path, s) or is_within(s, path) for s in system):
        raise ConfigError(f"{path} is a system directory and cannot be made writable", where=why)


def build_plan(
    profile: Profile,
    argv: Sequence[str],
    *,
    catalog: SandboxCatalog,
    facts: HostFacts,
    home: str,
    cwd: str,
) -> SandboxPlan:
    """The sandbox's view for ``argv`` under ``profile``. Raises :class:`ConfigError` for a grant that would
    expose the whole home directory or make a system directory writable."""
    home = posixpath.normpath(home)
    chosen: dict[str, Mount] = {}
    notes: list[str] = []

    def add(mount: Mount) -> None:
        old = chosen.get(mount.path)
        if old is None or _STRENGTH[mount.kind] >= _STRENGTH[old.kind]:
            chosen[mount.path] = mount

    system = [p for p in catalog.system if facts.paths.get(p, PathInfo("missing")).kind != "missing"]
    for path in system:
        info = facts.paths[path]
        add(Mount("symlink", path, info.target) if info.kind == "link" else Mount("ro", path))
    for path in catalog.mask:
        info = facts.paths.get(path, PathInfo("missing"))
        if info.kind in ("file", "dir") and any(is_within(path, s) for s in system):
            add(Mount("mask_dir" if info.kind == "dir" else "mask_file", path))
    add(Mount("tmpfs", SANDBOX_TMP))
    add(Mount("tmpfs", home))
    runtime_dirs = [p for p in facts.runtime if p in facts.dirs]
    for path in facts.runtime:
        covered = any(is_within(path, d) and d != path for d in (*system, *runtime_dirs))
        if not covered and not is_within(home, path):
            add(Mount("ro", path))
    for path in facts.runtime_home_rw:
        add(Mount("rw", path))
        notes.append(f"{path}: read-write, the runtime's package cache")
    grants = (("server argument", facts.server_paths, profile.server_paths),
              ("--sandbox-allow", facts.allow, profile.allow))
    for why, paths, access in grants:
        for path in paths:
            if access == "none":
                notes.append(f"{path}: not visible ({why}; profile {profile.name} grants none)")
                continue
            _check_grant(path, access, home=home, system=system, why=why)
            add(Mount(access, path))
            notes.append(f"{path}: {'read-write' if access == 'rw' else 'read-only'} ({why})")
    mounts = tuple(sorted(chosen.values(), key=lambda m: _depth(m.path)))
    cwd = posixpath.normpath(cwd)
    visible_dirs = [m.path for m in mounts if m.kind in ("ro", "rw") and (m.path in facts.dirs or m.path in system)]
    chdir = cwd if any(is_within(cwd, d) for d in visible_dirs) else home
    if chdir != cwd:
        notes.append(f"working directory {cwd} is not visible; the server starts in {home}")
    return SandboxPlan(
        profile=profile,
        argv=(facts.executable, *argv[1:]),
        home=home,
        mounts=mounts,
        chdir=chdir,
        setenv={"HOME": home, "TMPDIR": SANDBOX_TMP},
        unsetenv=catalog.unset_env,
        notes=tuple(notes),
    )
