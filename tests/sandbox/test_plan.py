"""The pure planner: what a sandbox sees, from synthetic host facts (no file system, no processes)."""

from __future__ import annotations

import pytest

from garrison.errors import ConfigError
from garrison.sandbox.backends import BackendFacts, bwrap_argv, landlock_argv
from garrison.sandbox.plan import HostFacts, Mount, PathInfo, build_plan
from garrison.sandbox.profiles import default_catalog

CATALOG = default_catalog()
HOME = "/home/ann"
PATHS = {"/usr": PathInfo("dir"), "/bin": PathInfo("link", "usr/bin"), "/etc": PathInfo("dir"),
         "/etc/shadow": PathInfo("file"), "/etc/ssh": PathInfo("dir")}


def facts(**kw: object) -> HostFacts:
    base: dict[str, object] = {
        "executable": "/home/ann/proj/.venv/bin/python",
        "paths": PATHS,
        "runtime": ("/home/ann/proj/.venv", "/home/ann/proj/.venv/bin/python", "/usr/bin/python3.11"),
        "server_paths": ("/srv/notes",),
        "dirs": frozenset({"/home/ann/proj/.venv", "/srv/notes", "/srv"}),
    }
    base.update(kw)
    return HostFacts(**base)  # type: ignore[arg-type]


def plan(profile: str, cwd: str = "/srv/notes", **kw: object):  # type: ignore[no-untyped-def]
    return build_plan(CATALOG.profile(profile), ["python", "-m", "notes", "/srv/notes"], catalog=CATALOG,
                      facts=facts(**kw), home=HOME, cwd=cwd)


def test_system_is_read_only_links_are_links_and_secrets_masked() -> None:
    mounts = plan("strict").mounts
    assert Mount("ro", "/usr") in mounts
    assert Mount("symlink", "/bin", "usr/bin") in mounts
    assert Mount("mask_file", "/etc/shadow") in mounts
    assert Mount("mask_dir", "/etc/ssh") in mounts


def test_home_and_tmp_are_empty_and_runtime_inside_home_is_read_only() -> None:
    p = plan("filesystem")
    assert Mount("tmpfs", HOME) in p.mounts
    assert Mount("tmpfs", "/tmp") in p.mounts
    assert Mount("ro", "/home/ann/proj/.venv") in p.mounts
    # the interpreter file is covered by the venv dir and by /usr: no extra mounts
    assert all(m.path not in ("/home/ann/proj/.venv/bin/python", "/usr/bin/python3.11") for m in p.mounts)
    order = [m.path for m in p.mounts]
    assert order.index(HOME) < order.index("/home/ann/proj/.venv")  # the tmpfs goes under the runtime bind
    assert p.setenv["HOME"] == HOME


def test_server_paths_follow_the_profile() -> None:
    assert plan("strict").visible("ro").count("/srv/notes") == 1
    assert "/srv/notes" in plan("filesystem").visible("rw")
    assert "/srv/notes" in plan("network").visible("rw")
    assert plan("network").network
    assert not plan("filesystem").network


def test_allowlist_is_read_only_in_strict_and_writable_in_filesystem() -> None:
    assert "/data/x" in plan("strict", allow=("/data/x",)).visible("ro")
    assert "/data/x" in plan("filesystem", allow=("/data/x",)).visible("rw")


@pytest.mark.parametrize("path", ["/", "/home", HOME])
def test_a_grant_exposing_home_is_refused(path: str) -> None:
    with pytest.raises(ConfigError, match="whole home directory") as err:
        plan("filesystem", server_paths=(path,))
    assert err.value.where == "server argument"


def test_system_dirs_cannot_be_made_writable() -> None:
    with pytest.raises(ConfigError, match="cannot be made writable"):
        plan("filesystem", allow=("/etc/nginx",))
    assert "/etc/nginx" in plan("strict", allow=("/etc/nginx",)).visible("ro")


def test_invisible_working_directory_falls_back_to_home() -> None:
    assert plan("strict").chdir == "/srv/notes"
    p = plan("strict", cwd="/home/ann/secret")
    assert p.chdir == HOME
    assert any("not visible" in n for n in p.notes)


def test_bwrap_command_line() -> None:
    argv = bwrap_argv(plan("filesystem"), "/usr/bin/bwrap")
    assert argv[:2] == ["/usr/bin/bwrap", "--unshare-all"]
    assert "--share-net" not in argv
    assert "--share-net" in bwrap_argv(plan("network"))
    i = argv.index("--bind")
    assert argv[i:i + 3] == ["--bind", "/srv/notes", "/srv/notes"]
    assert argv[argv.index("--") + 1:] == ["/home/ann/proj/.venv/bin/python", "-m", "notes", "/srv/notes"]
    assert argv[argv.index("--chdir") + 1] == "/srv/notes"


def test_landlock_command_line_uses_landlock_tcp_or_a_network_namespace() -> None:
    new = BackendFacts(bwrap=None, bwrap_problem="x", landlock_abi=4, unshare=None)
    argv = landlock_argv(plan("filesystem"), new, python="/py")
    assert argv[:3] == ["/py", "-m", "garrison.sandbox.landlock_exec"]
    assert "--deny-tcp" in argv
    assert argv[argv.index("/srv/notes") - 1] == "--rw"
    old = BackendFacts(bwrap=None, bwrap_problem="x", landlock_abi=2, unshare="/usr/bin/unshare")
    argv = landlock_argv(plan("filesystem"), old, python="/py")
    assert argv[:3] == ["/usr/bin/unshare", "--net", "--map-root-user"]
    assert "--deny-tcp" not in argv
    assert landlock_argv(plan("network"), new, python="/py")[0] == "/py"
