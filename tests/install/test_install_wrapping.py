"""What a wrapped launch line is, and which launcher goes into the configs."""

from __future__ import annotations

import pytest

from garrison.install import default_launcher, is_wrapped, unwrap_argv, wrap_argv


def test_wrap_then_unwrap_gives_the_server_back() -> None:
    command, args = wrap_argv(("/g/garrison",), "fs", "npx", ["-y", "--", "x"])
    assert (command, args) == ("/g/garrison", ["wrap", "--name", "fs", "--", "npx", "-y", "--", "x"])
    assert is_wrapped(command, args)
    assert unwrap_argv(command, args) == ("npx", ["-y", "--", "x"])


@pytest.mark.parametrize(("command", "args", "inner"), [
    ("/usr/bin/garrison", ["wrap", "--name", "--", "--", "srv"], ("srv", [])),
    ("C:\\Tools\\garrison.EXE", ["wrap", "--", "srv", "a"], ("srv", ["a"])),
    ("garrison", ["wrap", "--deny-tools", "a,b", "--unsafe-no-sanitise", "--", "srv"], ("srv", [])),
    ("/py/python", ["-m", "garrison", "wrap", "--name", "n", "--", "srv"], ("srv", [])),
    ("/usr/bin/garrison", ["wrap", "--name", "n"], None),
    ("/usr/bin/garrison", ["wrap", "--", ], None),
    ("/usr/bin/garrison", ["scan", "--", "srv"], None),
    ("/usr/bin/not-garrison", ["wrap", "--", "srv"], None),
    ("/py/python", ["-m", "other", "wrap", "--", "srv"], None),
])
def test_unwrap_argv(command: str, args: list[str], inner: tuple[str, list[str]] | None) -> None:
    assert unwrap_argv(command, args) == inner


def test_is_wrapped_needs_the_wrap_subcommand() -> None:
    assert not is_wrapped(None, [])
    assert not is_wrapped("/usr/bin/garrison", ["scan"])
    assert is_wrapped("/usr/bin/garrison", ["wrap", "--name", "x"])


def test_default_launcher_prefers_the_script_beside_the_interpreter() -> None:
    assert default_launcher("/venv/bin/python", "linux", exists={"/venv/bin/garrison"}.__contains__) == (
        "/venv/bin/garrison",)
    assert default_launcher("/venv/bin/python", "linux", exists=lambda _: False) == (
        "/venv/bin/python", "-m", "garrison")
    assert default_launcher("C:\\Py\\Scripts\\python.exe", "win32",
                            exists={"C:\\Py\\Scripts\\garrison.exe"}.__contains__) == ("C:\\Py\\Scripts\\garrison.exe",)


@pytest.mark.parametrize("name", ["--", "-x", "--name"])
def test_a_name_that_looks_like_an_option_is_joined_to_it(name: str) -> None:
    command, args = wrap_argv(("/g/garrison",), name, "srv", ["a"])
    assert args == ["wrap", f"--name={name}", "--", "srv", "a"]
    assert args.index("--") == 2
    assert unwrap_argv(command, args) == ("srv", ["a"])
