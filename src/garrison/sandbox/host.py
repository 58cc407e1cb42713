"""The edge that looks at the host: which command runs, what its runtime needs, which of its arguments name
paths. Returns :class:`~garrison.sandbox.plan.HostFacts` for the pure planner.

Runtime discovery reads only what the command itself points at: the executable (through ``#!`` lines, at most
:data:`MAX_SHEBANG_HOPS` deep), its installation prefix (``<prefix>/bin/<exe>``), a Python virtual environment's
``pyvenv.cfg`` and the ``.pth`` files of its ``site-packages`` (editable installs), and the project folder of a
script named in the arguments (nearest parent holding ``package.json``, ``pyproject.toml`` or ``node_modules``).
"""

from __future__ import annotations

import os
import posixpath
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from garrison.errors import ServerLaunchError
from garrison.sandbox.plan import HostFacts, PathInfo, is_within
from garrison.sandbox.profiles import SandboxCatalog

__all__ = ["MAX_ARGS", "MAX_SHEBANG_HOPS", "argument_paths", "probe_host", "runtime_paths"]

MAX_ARGS = 256
"""Only this many server arguments are examined for paths."""
MAX_SHEBANG_HOPS = 3
MAX_PTH_BYTES = 64 * 1024
MAX_PROJECT_CLIMB = 6
_PROJECT_MARKERS = ("package.json", "pyproject.toml", "setup.py", "node_modules", "Cargo.toml", "go.mod")


def _info(path: str) -> PathInfo:
    if os.path.islink(path):
        return PathInfo("link", os.readlink(path))
    if os.path.isdir(path):
        return PathInfo("dir")
    return PathInfo("file") if os.path.exists(path) else PathInfo("missing")


def _shebang(path: str) -> list[str]:
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return []
    if not head.startswith(b"#!"):
        return []
    return head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").split()


def _venv(exe: str) -> str | None:
    root = posixpath.dirname(posixpath.dirname(exe))
    return root if os.path.isfile(posixpath.join(root, "pyvenv.cfg")) else None


def _pth_dirs(venv: str) -> Iterable[str]:
    for site in Path(venv).glob("lib*/python*/site-packages"):
        for pth in site.glob("*.pth"):
            try:
                text = pth.read_bytes()[:MAX_PTH_BYTES].decode("utf-8", "replace")
            except OSError:
                continue
            for line in text.splitlines():
                line = line.strip()
                if line.startswith("/") and os.path.isdir(line):
                    yield posixpath.normpath(line)


def _venv_home(venv: str) -> str | None:
    try:
        text = Path(venv, "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")[:MAX_PTH_BYTES]
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home" and value.strip().startswith("/"):
            return posixpath.dirname(posixpath.normpath(value.strip()))
    return None


def runtime_paths(executable: str, environ: Mapping[str, str]) -> list[str]:
    """Paths the runtime of ``executable`` needs read-only (see the module docstring)."""
    found: list[str] = []
    todo = [executable]
    for _ in range(MAX_SHEBANG_HOPS + 1):
        if not todo:
            break
        exe = todo.pop()
        real = os.path.realpath(exe)
        for path in (exe, real):
            found.append(path)
            if posixpath.basename(posixpath.dirname(path)) == "bin":
                found.append(posixpath.dirname(posixpath.dirname(path)))
        venv = _venv(exe)
        if venv is not None:
            found.append(venv)
            home = _venv_home(venv)
            if home:
                found.append(home)
            found.extend(_pth_dirs(venv))
        words = _shebang(real)
        if words:
            interp = words[0]
            if posixpath.basename(interp) == "env":
                rest = [w for w in words[1:] if not w.startswith("-")]
                interp = (shutil.which(rest[0], path=environ.get("PATH", os.defpath)) or "") if rest else ""
            if interp:
                todo.append(interp)
    return _dedupe(p for p in found if p not in ("/", "") and os.path.exists(p))


def _project_root(path: str, home: str) -> str | None:
    current = posixpath.dirname(path)
    for _ in range(MAX_PROJECT_CLIMB):
        if current in ("/", home) or is_within(home, current):
            return None
        if any(os.path.exists(posixpath.join(current, m)) for m in _PROJECT_MARKERS):
            return current
        current = posixpath.dirname(current)
    return None


def _expand(value: str, *, cwd: str, home: str) -> str:
    if value == "~" or value.startswith("~/"):
        value = home + value[1:]
    return posixpath.normpath(posixpath.join(cwd, value))


def argument_paths(args: Sequence[str], *, cwd: str, home: str) -> list[str]:
    """Existing paths named in ``args`` (``/abs``, ``./rel``, ``rel/path``, ``--opt=/abs``), normalised."""
    found: list[str] = []
    for arg in args[:MAX_ARGS]:
        value = arg.split("=", 1)[1] if arg.startswith("-") and "=" in arg else arg
        if not value or value.startswith("-") or "\n" in value or "\0" in value:
            continue
        named = value == "~" or value.startswith(("/", "./", "../", "~/")) or "/" in value
        if not named and not os.path.exists(posixpath.join(cwd, value)):
            continue
        path = _expand(value, cwd=cwd, home=home)
        if os.path.exists(path):
            found.append(path)
    return _dedupe(found)


def _dedupe(paths: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(posixpath.normpath(p) for p in paths))


def probe_host(
    argv: Sequence[str],
    *,
    catalog: SandboxCatalog,
    home: str,
    environ: Mapping[str, str],
    cwd: str,
    allow: Sequence[str] = (),
) -> HostFacts:
    """Look up everything :func:`~garrison.sandbox.plan.build_plan` needs. Raises
    :class:`~garrison.errors.ServerLaunchError` when the command is not found on ``PATH``."""
    if not argv:
        raise ServerLaunchError("no server command given", where="sandbox")
    executable = shutil.which(argv[0], path=environ.get("PATH", os.defpath))
    if executable is None:
        raise ServerLaunchError(f"command {argv[0]!r} not found on PATH", where="sandbox")
    executable = posixpath.normpath(posixpath.join(cwd, executable))
    home = posixpath.normpath(home)
    server_paths = argument_paths(argv[1:], cwd=cwd, home=home)
    runtime = runtime_paths(executable, environ)
    for path in server_paths:
        if os.path.isfile(path):
            root = _project_root(path, home)
            if root is not None:
                runtime.append(root)
    allowed = _dedupe(_expand(p, cwd=cwd, home=home) for p in allow)
    missing = [p for p in allowed if not os.path.exists(p)]
    if missing:
        raise ServerLaunchError(f"path does not exist: {missing[0]}", where="--sandbox-allow")
    caches = catalog.runtime_home_rw.get(posixpath.basename(argv[0]), ())
    home_rw = [posixpath.join(home, rel) for rel in caches if os.path.isdir(posixpath.join(home, rel))]
    everything = [*runtime, *server_paths, *allowed, *home_rw]
    return HostFacts(
        executable=executable,
        paths={p: _info(p) for p in (*catalog.system, *catalog.mask)},
        runtime=tuple(_dedupe(runtime)),
        server_paths=tuple(server_paths),
        allow=tuple(allowed),
        runtime_home_rw=tuple(home_rw),
        dirs=frozenset(p for p in everything if os.path.isdir(p)),
    )
