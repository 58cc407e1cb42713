"""Inline secrets in args and URLs are masked for display; everything else is kept as written."""

from __future__ import annotations

import pytest

from garrison.discovery import is_secret_name, mask_args, mask_text, mask_url

GH = "ghp_" + "Zx9" * 12
OPENAI = "sk-proj-" + "Ab1" * 10


@pytest.mark.parametrize(("args", "masked"), [
    (["--api-key=abc123"], ["--api-key=****"]),
    (["--token", "xyz", "--verbose"], ["--token", "****", "--verbose"]),
    (["--password", "hunter2"], ["--password", "****"]),
    (["--clientSecret", "s3"], ["--clientSecret", "****"]),
    (["-e", "GITHUB_TOKEN=abc", "-e", "LOG_LEVEL=debug"],
     ["-e", "GITHUB_TOKEN=****", "-e", "LOG_LEVEL=debug"]),
    (["-e", "GITHUB_TOKEN", "image"], ["-e", "GITHUB_TOKEN", "image"]),
    (["--header", "Authorization: Bearer abc.def"], ["--header", "Authorization: ****"]),
    (["--header", "X-Api-Key: k1"], ["--header", "X-Api-Key: ****"]),
    (["--header", "Content-Type: application/json"], ["--header", "Content-Type: application/json"]),
    (["--token-file", "/run/secrets/t"], ["--token-file", "/run/secrets/t"]),
    (["--api-key-env", "MY_KEY"], ["--api-key-env", "MY_KEY"]),
    (["--token", "--next"], ["--token", "--next"]),
    (["mcp-remote", "https://user:pw@h.example/sse?token=abc&x=1"],
     ["mcp-remote", "https://user:****@h.example/sse?token=****&x=1"]),
    (["--url=https://h.example/mcp?key=k"], ["--url=https://h.example/mcp?key=****"]),
    ([GH], ["ghp_****"]),
    (["prefix-" + OPENAI], ["prefix-sk-proj-****"]),
    (["-y", "@scope/server@1.2.3", "/home/ada/p"], ["-y", "@scope/server@1.2.3", "/home/ada/p"]),
])
def test_mask_args(args: list[str], masked: list[str]) -> None:
    assert list(mask_args(args)) == masked


@pytest.mark.parametrize(("url", "masked"), [
    ("https://user:pass@example.com/mcp", "https://user:****@example.com/mcp"),
    ("https://tok@example.com/mcp", "https://****@example.com/mcp"),
    ("https://example.com/mcp?api_key=1&profile=free&accessToken=2",
     "https://example.com/mcp?api_key=****&profile=free&accessToken=****"),
    ("https://example.com/mcp", "https://example.com/mcp"),
    (f"https://example.com/{GH}/sse", "https://example.com/ghp_****/sse"),
    ("not a url", "not a url"),
])
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_mask_text_cases() -> None:
    assert mask_text("DB_PASSWORD=x") == "DB_PASSWORD=****"
    assert mask_text("DATABASE_URL=postgres://u:p@db/x") == "DATABASE_URL=postgres://u:****@db/x"
    assert mask_text("plain") == "plain"


@pytest.mark.parametrize("name", ["apiKey", "API_KEY", "x-api-key", "token", "GITHUB_PERSONAL_ACCESS_TOKEN",
                                  "password", "client_secret", "Authorization", "sig", "privateKey"])
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["verbose", "port", "token_file", "key-path", "profile", "author", "host",
                                  "API_KEY_ENV", "header", ""])
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)
