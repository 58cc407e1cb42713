"""Turn a server's command line into its sandboxed command line: the one call the wrap CLI needs.

:func:`prepare` probes the host and the backends (the edges), builds the plan (pure) and renders it for the
chosen backend. The result's ``argv`` is started exactly like the original command; nothing else has to be set
up (bubblewrap sets ``HOME``/``TMPDIR`` and clears agent sockets inside the sandbox itself).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from garrison.sandbox.backends import (
    Backend,
    BackendFacts,
    SandboxUnavailable,
    bwrap_argv,
    choose_backend,
    landlock_argv,
    probe_backends,
)
from garrison.sandbox.host import probe_host
from garrison.sandbox.plan import SandboxPlan, build_plan
from garrison.sandbox.profiles import Profile, SandboxCatalog, default_catalog

__all__ = ["SandboxedCommand", "prepare", "wrap_command"]


@dataclass(frozen=True, slots=True)
class SandboxedCommand:
    argv: tuple[str, ...]
    profile: str
    backend: Backend | None
    """``None`` when the command runs unsandboxed (profile ``none`` or ``unsafe_no_sandbox``)."""
    plan: SandboxPlan | None
    notes: tuple[str, ...]
    """Lines for people (stderr): what is visible and why, and anything unsafe."""


def prepare(
    argv: Sequence[str],
    profile: str | Profile,
    *,
    home: str,
    environ: Mapping[str, str],
    cwd: str | None = None,
    allow: Sequence[str] = (),
    backend: str = "auto",
    unsafe_no_sandbox: bool = False,
    catalog: SandboxCatalog | None = None,
    backend_facts: BackendFacts | None = None,
) -> SandboxedCommand:
    """The sandboxed command for ``argv`` under ``profile``.

    Raises :class:`~garrison.errors.ConfigError` for an unknown profile or a grant that exposes ``home``,
    :class:`~garrison.errors.ServerLaunchError` when the command is not on ``PATH`` and
    :class:`~garrison.sandbox.backends.SandboxUnavailable` when no backend works here (unless
    ``unsafe_no_sandbox``, which runs the command as it is and says so in ``notes``).
    """
    catalog = catalog or default_catalog()
    chosen = catalog.profile(profile) if isinstance(profile, str) else profile
    if not chosen.sandboxed:
        return SandboxedCommand(tuple(argv), chosen.name, None, None, ("sandbox: off (profile none)",))
    cwd = cwd or os.getcwd()
    facts = probe_host(argv, catalog=catalog, home=home, environ=environ, cwd=cwd, allow=allow)
    plan = build_plan(chosen, argv, catalog=catalog, facts=facts, home=home, cwd=cwd)
    bfacts = backend_facts or probe_backends(environ)
    try:
        kind = choose_backend(backend, bfacts, network=chosen.network)
    except SandboxUnavailable as err:
        if not unsafe_no_sandbox:
            raise
        return SandboxedCommand(tuple(argv), chosen.name, None, plan,
                                (f"sandbox: UNSAFE, running unsandboxed ({err.message})",))
    if kind == "bwrap":
        assert bfacts.bwrap is not None
        out = bwrap_argv(plan, bfacts.bwrap)
        extra: tuple[str, ...] = ()
    else:
        out = landlock_argv(plan, bfacts)
        extra = ("landlock: files inside visible system directories (/etc/shadow) are not masked",)
    head = f"sandbox: profile {chosen.name} via {kind}, network {'allowed' if chosen.network else 'blocked'}"
    return SandboxedCommand(tuple(out), chosen.name, kind, plan, (head, *extra, *plan.notes))


def wrap_command(
    argv: Sequence[str],
    profile: str | Profile,
    *,
    home: str,
    environ: Mapping[str, str],
    cwd: str | None = None,
    allow: Sequence[str] = (),
    backend: str = "auto",
    unsafe_no_sandbox: bool = False,
) -> list[str]:
    """Just the command line of :func:`prepare`."""
    return list(prepare(argv, profile, home=home, environ=environ, cwd=cwd, allow=allow, backend=backend,
                        unsafe_no_sandbox=unsafe_no_sandbox).argv)
