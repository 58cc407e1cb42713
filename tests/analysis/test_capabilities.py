"""Capability labelling of tools from name, description, parameters and annotations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from garrison.analysis import capabilities
from garrison.analysis.capabilities import (
    Capability,
    CapabilityReason,
    explain_tool,
    label_tool,
    name_tokens,
)
from garrison.model import Definition

P = Capability.READS_PRIVATE_DATA
U = Capability.INGESTS_UNTRUSTED_CONTENT
S = Capability.SENDS_DATA_OUT
X = Capability.EXECUTES_CODE
D = Capability.DESTRUCTIVE


def tool(name: str, description: str = "", params: tuple[str, ...] = (), **annotations: Any) -> Definition:
    raw: dict[str, Any] = {
        "name": name,
        "description": description,
        "inputSchema": {"type": "object", "properties": {p: {"type": "string"} for p in params}},
    }
    if annotations:
        raw["annotations"] = annotations
    return Definition("tool", raw)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("getUserInfo", ("get", "user", "info")),
        ("get-user_info", ("get", "user", "info")),
        ("get.user.info", ("get", "user", "info")),
        ("HTTPRequest", ("http", "request")),
        ("search_query_v1", ("search", "query", "v1")),
        ("ｓｅａｒｃｈ", ("search",)),
    ],
)
def test_name_tokens(name: str, expected: tuple[str, ...]) -> None:
    assert name_tokens(name) == expected


@pytest.mark.parametrize(
    ("defn", "expected"),
    [
        (tool("read_file", "Read the complete contents of a file from the file system.", ("path",)), {P}),
        (
            tool("fetch", "Fetches a URL from the internet and extracts its contents as markdown.", ("url",)),
            {U, S},
        ),
        (tool("send_email", "Send an email to the given recipient.", ("to", "subject", "body")), {S}),
        (tool("execute_command", "Execute a terminal command and return its output.", ("command",)), {X}),
        (tool("delete_repository", "Permanently delete a repository.", ("repo",)), {D}),
        (tool("get_inbox", "List the latest messages in the user's inbox.", ("limit",)), {P, U}),
        (tool("add", "Add two numbers.", ("a", "b")), set()),
        (tool("get_forecast", "Get weather forecast for a location.", ("latitude", "longitude")), set()),
        (tool("convert_units", "Convert a value between units.", ("value", "to")), set()),
        (tool("list_tables", "List all tables in the SQLite database"), {P}),
        (tool("search_web", "Search the web with DuckDuckGo and return results.", ("query",)), {U}),
        (tool("show_credentials", "Show the stored credentials."), {P}),
        (tool("delete_email_customization", "Remove a customised email template."), {D}),
    ],
)
def test_label_tool(defn: Definition, expected: set[Capability]) -> None:
    assert label_tool(defn) == frozenset(expected)


def test_annotations_add_but_never_remove() -> None:
    claimed_safe = tool("delete_everything", "Deletes all records.", readOnlyHint=True, destructiveHint=False)
    assert D in label_tool(claimed_safe)
    assert label_tool(tool("do_it", destructiveHint=True)) == {D}
    assert label_tool(tool("ping_remote", openWorldHint=True)) == {S}
    assert label_tool(tool("lookup", openWorldHint=True, readOnlyHint=True)) == {U}


def test_reasons_explain_each_capability() -> None:
    reasons = explain_tool(tool("send_email", "Send an email.", ("recipient",)))
    assert reasons == (
        CapabilityReason(S, "description", "Send an email"),
        CapabilityReason(S, "name", "email+send"),
        CapabilityReason(S, "parameter:recipient", "caller-chosen destination"),
    )


def test_long_descriptions_are_bounded() -> None:
    defn = tool("noop", "x " * 200_000 + "execute arbitrary code")
    assert X not in label_tool(defn)


# --- the quick tests in front of the slow ones ---

_PHRASES = (
    "Executes arbitrary shell commands", "run the script", "evaluates code", "Sends an e-mail", "POSTS data",
    "HTTP post", "register a Webhook", "share files", "fetch web pages", "visits websites", "browse the internet",
    "uses search engines", "reads RSS feeds", "DuckDuckGo", "Google search", "Bing", "your inbox",
    "incoming messages", "public issues", "reads the contents of local files", "Returns user's e-mails",
    "list calendar", "get your credentials", "private", "Personal", "confidential", "Permanently",
    "irreversibly", "deletes", "Destroys", "wipe", "purges", "overwrites",
)


def _descriptions(corpora: Path) -> list[str]:
    out = list(_PHRASES)
    for path in sorted((corpora / "tools").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if isinstance(row.get("description"), str):
                out.append(row["description"])
    return out


def test_every_description_match_holds_one_of_its_pattern_words(corpora: Path) -> None:
    """The words in front of each description pattern never hide a match (ASCII texts are screened)."""
    matched = 0
    for text in _descriptions(corpora):
        for capability, words, pattern in capabilities._DESC_PATTERNS:
            m = pattern.search(text)
            if m:
                matched += 1
                assert any(w in m.group(0).lower() for w in words), (capability, m.group(0))
    assert matched > 100


def test_non_ascii_descriptions_are_searched_in_full() -> None:
    # A long s matches "s" case-insensitively but does not lower-case to it: such texts are not screened.
    assert label_tool(tool("tool", "\u017fends e-mails")) == {S}
    assert label_tool(tool("tool", "\u00dcbersicht: deletes records")) == {D}
