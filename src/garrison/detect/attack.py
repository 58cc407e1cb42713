"""Offline ATT&CK lookups from the compact table shipped in ``detect/data/attack.json``.

The table is built by :mod:`garrison.detect.attack_build`; see ``detect/data/NOTICE.md`` for attribution.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["AttackData", "load_attack"]


@dataclass(frozen=True, slots=True)
class AttackData:
    version: str
    techniques: Mapping[str, tuple[str, tuple[str, ...]]]
    """``T1003.002`` → (name, tactic short names)."""
    tactics: Mapping[str, tuple[str, str]]
    """Tactic short name (``credential-access``) → (``TA0006``, ``Credential Access``)."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AttackData:
        return cls(
            version=str(data["attack_version"]),
            techniques={k: (str(v[0]), tuple(v[1])) for k, v in data["techniques"].items()},
            tactics={k: (str(v[0]), str(v[1])) for k, v in data["tactics"].items()},
        )

    def technique_name(self, technique: str) -> str | None:
        entry = self.techniques.get(technique.upper())
        return entry[0] if entry else None

    def tactic_shortname(self, tactic: str) -> str | None:
        """``TA0006``, ``credential-access`` or ``credential_access`` → ``credential-access``."""
        key = tactic.lower().replace("_", "-")
        if key in self.tactics:
            return key
        for name, (tactic_id, _) in self.tactics.items():
            if tactic_id.lower() == key:
                return name
        return None

    def tactics_for(self, techniques: Iterable[str], tags: Iterable[str] = ()) -> tuple[str, ...]:
        """Tactic short names: those tagged on the rule first, then those of its techniques, in order.

        A sub-technique without its own entry falls back to its parent technique's tactics.
        """
        out: list[str] = []
        for tag in tags:
            name = self.tactic_shortname(tag)
            if name and name not in out:
                out.append(name)
        for technique in techniques:
            entry = self.techniques.get(technique.upper()) or self.techniques.get(technique.upper().split(".")[0])
            for name in entry[1] if entry else ():
                if name not in out:
                    out.append(name)
        return tuple(out)


@cache
def load_attack() -> AttackData:
    """The shipped table (read once per process)."""
    text = resources.files("garrison.detect").joinpath("data/attack.json").read_text(encoding="utf-8")
    return AttackData.from_json(json.loads(text))
