"""The packaged profiles validate, are documented, and bad profile data is rejected with every problem listed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from garrison.errors import ConfigError
from garrison.sandbox.profiles import BEHAVIOURS, default_catalog, load_catalog

DOC = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"


def test_packaged_profiles_load() -> None:
    catalog = default_catalog()
    assert set(catalog.profiles) == {"strict", "filesystem", "network", "none"}
    assert not catalog.profile("strict").network
    assert catalog.profile("network").network
    assert not catalog.profile("none").sandboxed
    assert catalog.profile("filesystem").server_paths == "rw"
    assert catalog.profile("strict").server_paths == "ro"


def test_every_profile_and_behaviour_has_a_row_in_the_docs() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("\n| behaviour |") + 1:].split("\n\n", 1)[0].splitlines()
    columns = [c.strip().strip("`") for c in table[0].strip("|").split("|")][2:]
    assert columns == list(default_catalog().profiles)
    rows = {m.group(1): line for line in table[2:] if (m := re.match(r"\| `(\w+)` ", line))}
    assert set(rows) == set(BEHAVIOURS)
    for behaviour, row in rows.items():
        cells = [c.strip() for c in row.strip("|").split("|")][2:]
        for profile_name, cell in zip(columns, cells, strict=True):
            blocked = behaviour in default_catalog().profile(profile_name).blocks
            assert cell.startswith("blocked" if blocked else "allowed"), (behaviour, profile_name, cell)


def _base() -> dict[str, Any]:
    return {"version": 1, "system": ["/usr"], "profiles": {"p": {"summary": "x", "network": False}}}


def test_unknown_profile_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="expected one of: filesystem, network, none, strict"):
        default_catalog().profile("loose")


def test_every_problem_is_listed_at_once() -> None:
    data = _base()
    data["system"] = ["usr"]
    data["profiles"]["p"].update(network="yes", server_paths="all", blocks=["open_socket", "fly"], extra=1)
    data["runtimes"] = {"npx": {"home_rw": ["/abs"]}}
    with pytest.raises(ConfigError) as err:
        load_catalog(data, where="x.yaml")
    text = str(err.value)
    assert text.startswith("x.yaml: invalid sandbox profiles")
    for part in ("'usr' is not an absolute path", "profiles.p.network: expected true or false",
                 "profiles.p.server_paths", "unknown behaviour 'fly'", "unknown keys ['extra']",
                 "runtimes.npx.home_rw"):
        assert part in text


def test_network_profile_cannot_claim_to_block_sockets() -> None:
    data = _base()
    data["profiles"]["p"].update(network=True, blocks=["open_socket"])
    with pytest.raises(ConfigError, match="claims to block open_socket"):
        load_catalog(data)


def test_minimal_catalog_loads() -> None:
    catalog = load_catalog(_base())
    assert catalog.profile("p").allow == "ro"
    assert catalog.mask == ()
