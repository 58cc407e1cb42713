from __future__ import annotations

import argparse

from garrison.cli.args import env_option


def _parser(environ: dict[str, str]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    env_option(p, "--client", env="GARRISON_CLIENT", environ=environ, action="append", help="c")
    env_option(p, "--no-launch", env="GARRISON_NO_LAUNCH", environ=environ, action="store_true", help="n")
    env_option(p, "--timeout", env="GARRISON_TIMEOUT", environ=environ, type=float, default=30.0, help="t")
    return p


def test_env_twin_supplies_defaults() -> None:
    environ = {"GARRISON_CLIENT": "zed, cursor", "GARRISON_NO_LAUNCH": "yes", "GARRISON_TIMEOUT": "5"}
    ns = _parser(environ).parse_args([])
    assert ns.client == ["zed", "cursor"]
    assert ns.no_launch is True
    assert ns.timeout == 5.0


def test_command_line_replaces_env_list() -> None:
    ns = _parser({"GARRISON_CLIENT": "zed"}).parse_args(["--client", "cursor", "--client", "vscode"])
    assert ns.client == ["cursor", "vscode"]
    assert _parser({}).parse_args([]).client is None


def test_help_names_the_variable() -> None:
    assert "[env: GARRISON_TIMEOUT]" in _parser({}).format_help()
