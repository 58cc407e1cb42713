"""The public entry point: backend choice, fail-closed refusal, the unsafe escape hatch, host discovery."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from garrison.errors import ConfigError, ServerLaunchError
from garrison.sandbox import SandboxUnavailable, prepare, wrap_command
from garrison.sandbox.backends import BackendFacts, choose_backend, probe_backends
from garrison.sandbox.host import argument_paths, runtime_paths

NOTHING = BackendFacts(bwrap=None, bwrap_problem="bubblewrap (bwrap) is not installed", landlock_abi=0,
                       unshare=None)
LANDLOCK_ONLY = BackendFacts(bwrap=None, bwrap_problem="bubblewrap (bwrap) is not installed", landlock_abi=5,
                             unshare=None)
BOTH = BackendFacts(bwrap="/usr/bin/bwrap", bwrap_problem=None, landlock_abi=5, unshare=None)


def test_no_backend_refuses_and_names_what_is_missing(home: Path) -> None:
    with pytest.raises(SandboxUnavailable) as err:
        prepare([sys.executable, "-V"], "strict", home=str(home), environ=os.environ, backend_facts=NOTHING)
    text = str(err.value)
    assert text.startswith("sandbox: cannot sandbox the server, so it was not started")
    assert "bubblewrap (bwrap) is not installed" in text
    assert "Landlock is not enabled in this kernel" in text
    assert "--unsafe-no-sandbox" in text
    assert err.value.exit_code == 3


def test_unsafe_no_sandbox_runs_the_command_as_is_and_says_so(home: Path) -> None:
    cmd = prepare([sys.executable, "-V"], "strict", home=str(home), environ=os.environ, backend_facts=NOTHING,
                  unsafe_no_sandbox=True)
    assert cmd.argv == (sys.executable, "-V")
    assert cmd.backend is None
    assert cmd.notes[0].startswith("sandbox: UNSAFE, running unsandboxed")


def test_profile_none_is_the_command_unchanged(home: Path) -> None:
    argv = ["no-such-command-anywhere", "--flag"]
    assert wrap_command(argv, "none", home=str(home), environ={}) == argv


def test_backend_choice() -> None:
    assert choose_backend("auto", BOTH, network=False) == "bwrap"
    assert choose_backend("landlock", BOTH, network=False) == "landlock"
    assert choose_backend("auto", LANDLOCK_ONLY, network=False) == "landlock"
    with pytest.raises(SandboxUnavailable, match="bubblewrap") as err:
        choose_backend("bwrap", LANDLOCK_ONLY, network=False)
    assert "Landlock" not in str(err.value)
    old = BackendFacts(bwrap=None, bwrap_problem="x", landlock_abi=3, unshare=None)
    with pytest.raises(SandboxUnavailable, match="ABI 3 cannot deny TCP"):
        choose_backend("landlock", old, network=False)
    assert choose_backend("landlock", old, network=True) == "landlock"
    with pytest.raises(SandboxUnavailable, match="unknown sandbox backend 'docker'"):
        choose_backend("docker", BOTH, network=False)


def test_probe_without_bwrap_on_path(tmp_path: Path) -> None:
    facts = probe_backends({"PATH": str(tmp_path)})
    assert facts.bwrap is None
    assert facts.bwrap_problem == "bubblewrap (bwrap) is not installed"


def test_unknown_profile_and_missing_command(home: Path) -> None:
    with pytest.raises(ConfigError, match="unknown sandbox profile"):
        prepare(["true"], "loose", home=str(home), environ=os.environ, backend_facts=BOTH)
    with pytest.raises(ServerLaunchError, match="'no-such-command-anywhere' not found on PATH"):
        prepare(["no-such-command-anywhere"], "strict", home=str(home), environ=os.environ, backend_facts=BOTH)


def test_missing_allowlist_path_is_an_error(home: Path, tmp_path: Path) -> None:
    with pytest.raises(ServerLaunchError, match="path does not exist") as err:
        prepare(["true"], "strict", home=str(home), environ=os.environ, allow=[str(tmp_path / "gone")],
                backend_facts=BOTH)
    assert err.value.where == "--sandbox-allow"


def test_home_argument_is_refused(home: Path) -> None:
    with pytest.raises(ConfigError, match="whole home directory"):
        prepare(["ls", "~"], "filesystem", home=str(home), environ=os.environ, backend_facts=BOTH, cwd="/")


def test_argument_paths(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "db.sqlite").write_text("")
    args = ["--root=notes", "./db.sqlite", "notes", "--verbose", "hello", "/definitely/not/here", "~/x"]
    assert argument_paths(args, cwd=str(tmp_path), home="/nonexistent-home") == [
        str(tmp_path / "notes"), str(tmp_path / "db.sqlite")]


def test_runtime_follows_shebang_through_env(tmp_path: Path) -> None:
    tool = tmp_path / "prefix" / "bin" / "mytool"
    tool.parent.mkdir(parents=True)
    tool.write_text("#!/usr/bin/env python3\nprint('hi')\n")
    tool.chmod(0o755)
    found = runtime_paths(str(tool), {"PATH": os.path.dirname(sys.executable) + ":/usr/bin"})
    assert str(tool) in found
    assert str(tmp_path / "prefix") in found
    assert any(p.endswith(("/bin/python3", "/bin/python3.11")) for p in found)


def test_package_runner_cache_is_writable(home: Path, tmp_path: Path) -> None:
    (home / ".npm").mkdir()
    bindir = tmp_path / "bin"
    bindir.mkdir()
    npx = bindir / "npx"
    npx.write_text("#!/bin/sh\nexit 0\n")
    npx.chmod(0o755)
    cmd = prepare(["npx", "-y", "some-server"], "strict", home=str(home), environ={"PATH": str(bindir)},
                  cwd=str(tmp_path), backend_facts=BOTH)
    assert cmd.plan is not None
    assert str(home / ".npm") in cmd.plan.visible("rw")
    assert cmd.argv[cmd.argv.index("--") + 1] == str(npx)
