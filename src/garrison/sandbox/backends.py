"""Backends: a :class:`~garrison.sandbox.plan.SandboxPlan` in, the command line that enforces it out.

``bwrap``     bubblewrap: new user, mount, PID, IPC, UTS, cgroup and (unless the profile allows the network)
              network namespaces; the file system view is built from the plan; all capabilities dropped.
``landlock``  ``python -m garrison.sandbox.landlock_exec``: the host's file system stays as it is but access
              is limited to the plan's paths; TCP is denied by Landlock (ABI ≥ 4) or by an empty network
              namespace (``unshare --net``). It cannot hide single files inside a visible directory nor give
              an empty ``/tmp`` (it gives the server a new private ``TMPDIR`` instead).

:func:`choose_backend` is pure: it takes what :func:`probe_backends` found and returns a backend or raises
:class:`SandboxUnavailable` naming what is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from garrison.errors import ServerLaunchError
from garrison.sandbox.plan import SandboxPlan

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendFacts",
    "SandboxUnavailable",
    "bwrap_argv",
    "choose_backend",
    "landlock_argv",
    "probe_backends",
]

Backend = Literal["bwrap", "landlock"]
BACKENDS: tuple[str, ...] = ("auto", "bwrap", "landlock")
PROBE_TIMEOUT = 5.0


class SandboxUnavailable(ServerLaunchError):
    """No backend can enforce the profile here; the server is not started (fail closed)."""


@dataclass(frozen=True, slots=True)
class BackendFacts:
    bwrap: str | None
    """Path of a ``bwrap`` that could create its namespaces here, else ``None``."""
    bwrap_problem: str | None
    landlock_abi: int
    unshare: str | None
    """Path of an ``unshare`` that could create a network namespace here, else ``None``."""


def _runs(argv: list[str]) -> str | None:
    """``None`` if ``argv`` exits 0, else the reason."""
    try:
        done = subprocess.run(argv, capture_output=True, timeout=PROBE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        return str(err)
    if done.returncode == 0:
        return None
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else f"exit status {done.returncode}"


def probe_backends(environ: Mapping[str, str]) -> BackendFacts:
    """Find ``bwrap`` and ``unshare`` on ``PATH`` and check they work; read the Landlock ABI."""
    from garrison.sandbox.landlock import abi_version

    path = environ.get("PATH", os.defpath)
    bwrap, problem = shutil.which("bwrap", path=path), None
    if bwrap is None:
        problem = "bubblewrap (bwrap) is not installed"
    else:
        failure = _runs([bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"])
        if failure is not None:
            bwrap, problem = None, f"bwrap cannot create namespaces here: {failure}"
    unshare = shutil.which("unshare", path=path)
    if unshare is not None and _runs([unshare, "--net", "--map-root-user", "true"]) is not None:
        unshare = None
    return BackendFacts(bwrap=bwrap, bwrap_problem=problem, landlock_abi=abi_version(), unshare=unshare)


def _landlock_problem(facts: BackendFacts, network: bool) -> str | None:
    if facts.landlock_abi < 1:
        return "Landlock is not enabled in this kernel"
    if not network and facts.landlock_abi < 4 and facts.unshare is None:
        return f"Landlock ABI {facts.landlock_abi} cannot deny TCP and 'unshare --net' is not usable"
    return None


def choose_backend(requested: str, facts: BackendFacts, *, network: bool) -> Backend:
    """``requested`` is ``auto``, ``bwrap`` or ``landlock``; ``auto`` prefers bubblewrap."""
    if requested not in BACKENDS:
        raise SandboxUnavailable(f"unknown sandbox backend {requested!r} (expected one of: {', '.join(BACKENDS)})",
                                 where="--sandbox-backend")
    landlock_problem = _landlock_problem(facts, network)
    if requested in ("auto", "bwrap") and facts.bwrap is not None:
        return "bwrap"
    if requested in ("auto", "landlock") and landlock_problem is None:
        return "landlock"
    missing = [p for p in (facts.bwrap_problem if requested != "landlock" else None,
                           landlock_problem if requested != "bwrap" else None) if p]
    raise SandboxUnavailable(
        "cannot sandbox the server, so it was not started: " + "; ".join(missing)
        + " (install bubblewrap, e.g. scripts/install-system-deps, or run with --unsafe-no-sandbox)",
        where="sandbox",
    )


def bwrap_argv(plan: SandboxPlan, bwrap: str = "bwrap") -> list[str]:
    """bubblewrap command line enforcing ``plan``."""
    out = [bwrap, "--unshare-all", *(["--share-net"] if plan.network else []), "--die-with-parent",
           "--new-session", "--cap-drop", "ALL"]
    for m in plan.mounts:
        if m.kind == "ro":
            out += ["--ro-bind", m.path, m.path]
        elif m.kind == "rw":
            out += ["--bind", m.path, m.path]
        elif m.kind == "symlink":
            out += ["--symlink", m.target, m.path]
        elif m.kind == "tmpfs":
            out += ["--tmpfs", m.path]
        elif m.kind == "mask_file":
            out += ["--ro-bind", "/dev/null", m.path]
        else:
            out += ["--tmpfs", m.path, "--remount-ro", m.path]
    out += ["--proc", "/proc", "--dev", "/dev"]
    for name, value in sorted(plan.setenv.items()):
        out += ["--setenv", name, value]
    for name in plan.unsetenv:
        out += ["--unsetenv", name]
    out += ["--chdir", plan.chdir, "--", *plan.argv]
    return out


def landlock_argv(plan: SandboxPlan, facts: BackendFacts, *, python: str = sys.executable) -> list[str]:
    """Landlock launcher command line for ``plan``. Instead of an empty ``/tmp`` the server gets a new private
    ``TMPDIR``; ``$HOME`` keeps its path but nothing in it is readable except what the plan grants."""
    out: list[str] = []
    deny_tcp = not plan.network and facts.landlock_abi >= 4
    if not plan.network and not deny_tcp:
        assert facts.unshare is not None
        out += [facts.unshare, "--net", "--map-root-user"]
    out += [python, "-m", "garrison.sandbox.landlock_exec"]
    for m in plan.mounts:
        if m.kind == "ro":
            out += ["--ro", m.path]
        elif m.kind == "rw":
            out += ["--rw", m.path]
    out += ["--ro", "/proc", "--rw", "/dev", "--private-tmp", *(["--deny-tcp"] if deny_tcp else []), "--",
            *plan.argv]
    return out
