"""Profile derivation from the tools a server advertises."""

from __future__ import annotations

from typing import Any

from garrison.model import Definition
from garrison.sandbox import derive_profile


def tool(name: str, description: str, **params: Any) -> Definition:
    schema = {"type": "object", "properties": {k: {"type": "string", "description": v} for k, v in params.items()}}
    return Definition("tool", {"name": name, "description": description, "inputSchema": schema})


def test_pure_computation_is_strict() -> None:
    profile, reasons = derive_profile([
        tool("convert_currency", "Convert an amount between two currencies using fixed rates.",
             amount="the amount", to_currency="ISO code"),
        tool("word_count", "Count the words in the given text.", text="the text"),
    ])
    assert profile == "strict"
    assert len(reasons) == 1


def test_file_tools_get_the_filesystem_profile() -> None:
    profile, reasons = derive_profile([
        tool("read_file", "Read the complete contents of a file from the file system.", path="file to read"),
        tool("list_directory", "List the entries of a directory.", path="directory"),
    ])
    assert profile == "filesystem"
    assert any(r.startswith("tool:read_file: reads_private_data") for r in reasons)


def test_a_tool_that_fetches_urls_needs_the_network() -> None:
    profile, reasons = derive_profile([
        tool("read_file", "Read a file.", path="file"),
        tool("fetch", "Fetches a URL from the internet and returns the page as markdown.", url="the URL"),
    ])
    assert profile == "network"
    assert all(r.startswith("tool:fetch:") for r in reasons)


def test_sending_mail_needs_the_network() -> None:
    profile, _ = derive_profile([tool("send_email", "Send an email to a recipient.", recipient="to", body="text")])
    assert profile == "network"


def test_running_commands_gets_the_filesystem_profile() -> None:
    profile, reasons = derive_profile([tool("run_command", "Execute a shell command.", command="the command")])
    assert profile == "filesystem"
    assert any("executes_code" in r for r in reasons)


def test_resources_by_scheme() -> None:
    web = Definition("resource", {"uri": "https://example.org/feed", "name": "feed"})
    local = Definition("resource", {"uri": "file:///srv/notes/a.md", "name": "a"})
    assert derive_profile([local])[0] == "filesystem"
    assert derive_profile([local, web]) == ("network", ("resource:https://example.org/feed: served from https://",))


def test_nothing_advertised_is_strict() -> None:
    assert derive_profile([])[0] == "strict"
