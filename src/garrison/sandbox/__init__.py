"""Sandboxing for wrapped servers (``garrison wrap --sandbox PROFILE``).

profiles.yaml → :mod:`profiles` (validated data) → :mod:`host` (the edge: what the command needs) →
:mod:`plan` (pure: the sandbox's file system view) → :mod:`backends` (bubblewrap or Landlock command line).
:func:`wrap_command` does it all; :func:`derive_profile` picks a profile from a server's advertised tools.
"""

from __future__ import annotations

from garrison.sandbox.backends import SandboxUnavailable
from garrison.sandbox.command import SandboxedCommand, prepare, wrap_command
from garrison.sandbox.derive import derive_profile
from garrison.sandbox.profiles import Profile, default_catalog

__all__ = [
    "Profile",
    "SandboxUnavailable",
    "SandboxedCommand",
    "default_catalog",
    "derive_profile",
    "prepare",
    "wrap_command",
]
