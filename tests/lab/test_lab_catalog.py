"""The lab catalog is consistent: unique ids, importable modules, twins that point back, honest twins."""

from __future__ import annotations

import importlib
import sys

import pytest

from garrison.lab.catalog import CATALOG, by_id, launch_spec


def test_ids_unique_and_modules_importable() -> None:
    ids = [e.id for e in CATALOG]
    assert len(ids) == len(set(ids))
    for entry in CATALOG:
        module = importlib.import_module(entry.module)
        assert getattr(module, "NAME", None) == entry.server_name, entry.id


def test_twins_exist_share_the_surface_and_are_honest() -> None:
    for entry in CATALOG:
        if entry.twin is None:
            continue
        twin = by_id(entry.twin)
        assert twin.tools == entry.tools, entry.id
        assert twin.malicious != entry.malicious, entry.id
        if entry.attack != "name_squatting":
            assert twin.server_name == entry.server_name, entry.id


def test_targets_name_catalogued_servers_and_tools() -> None:
    tools = {f"{e.server_name}/{t}" for e in CATALOG for t in e.tools}
    for entry in CATALOG:
        assert set(entry.targets) <= tools, entry.id


def test_every_attack_family_is_present() -> None:
    assert {e.attack for e in CATALOG} == {
        "none", "tool_poisoning", "cross_server_shadowing", "name_squatting", "rug_pull", "hidden_text",
    }


def test_launch_spec_runs_the_module() -> None:
    spec = launch_spec(by_id("rugpull"), python=sys.executable, state="/tmp/s.json")
    assert spec.command == sys.executable
    assert spec.args == ("-m", "garrison.lab.servers.rugpull", "--after", "3", "--state", "/tmp/s.json")
    assert spec.name == "currency_rates"
    assert launch_spec(by_id("mailer"), python="py", name="m").name == "m"


def test_unknown_id_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known: poisoned_report"):
        by_id("nope")


def test_servers_reach_no_files_environment_or_network() -> None:
    """Only the rug pull's own ``--state`` file is ever written; nothing else is read from outside."""
    from pathlib import Path

    import garrison.lab.servers as pkg

    forbidden = ("open(", "expanduser", "Path.home", "os.environ", "getenv", "socket", "urllib", "httpx",
                 "subprocess", "read_bytes")
    for path in Path(pkg.__file__).parent.glob("*.py"):
        code = path.read_text(encoding="utf-8")
        for word in forbidden:
            assert word not in code, f"{path.name} uses {word}"
