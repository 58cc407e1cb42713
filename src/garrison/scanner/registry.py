"""The checks that ``garrison scan`` runs, in order. Each module exposes ``CHECK``, an instance of a class that
satisfies :class:`garrison.scanner.checks.interface.Check`."""

from __future__ import annotations

import importlib

from garrison.model import CheckInfo
from garrison.scanner.checks.interface import Check

__all__ = ["CHECK_MODULES", "all_checks", "all_infos"]

CHECK_MODULES: tuple[str, ...] = (
    "poisoning", "hidden_content", "exfil_params",
    "shadowing", "collisions", "toxic_flows", "launch_config",
)


def all_checks() -> tuple[Check, ...]:
    return tuple(importlib.import_module(f"garrison.scanner.checks.{m}").CHECK for m in CHECK_MODULES)


def all_infos() -> tuple[CheckInfo, ...]:
    return tuple(info for check in all_checks() for info in check.infos)
