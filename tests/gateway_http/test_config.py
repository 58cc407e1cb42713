"""The gateway configuration is strict and every error names file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from garrison.errors import ConfigError
from garrison.gateway.http.config import ClientConfig, UpstreamConfig, parse_config

TOKEN = "t0ken-0123456789abcdef"
ENV = {"TOK": TOKEN}
BASE = """\
clients:
  - identity: alice
    token: env:TOK
upstreams:
  - name: files
    command: files-server
    args: [--root, /srv]
"""


def parse(text: str, environ: dict[str, str] | None = None, files: dict[str, str] | None = None) -> object:
    def read(path: Path) -> str:
        if files is None or path.name not in files:
            raise FileNotFoundError(2, "No such file or directory")
        return files[path.name]

    return parse_config(text, path="/etc/gw.yaml", environ=ENV if environ is None else environ, read=read)


def error(text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(text, environ)
    return str(caught.value)


def test_defaults_are_loopback_with_names_prefixed() -> None:
    config = parse(BASE)
    assert config.host == "127.0.0.1"  # type: ignore[attr-defined]
    assert config.port == 8787  # type: ignore[attr-defined]
    assert config.max_body_bytes == 4 * 1024 * 1024  # type: ignore[attr-defined]
    assert config.upstreams == (UpstreamConfig(  # type: ignore[attr-defined]
        name="files", transport="stdio", command="files-server", args=("--root", "/srv"), prefix="files",
        where="/etc/gw.yaml:5"),)
    assert config.clients == (ClientConfig("alice", TOKEN, "/etc/gw.yaml:2"),)  # type: ignore[attr-defined]


def test_token_from_a_file_relative_to_the_config() -> None:
    text = BASE.replace("env:TOK", "file:alice.token")
    config = parse(text, files={"alice.token": TOKEN + "\n"})
    assert config.clients[0].token == TOKEN  # type: ignore[attr-defined]


def test_token_is_hidden_from_repr() -> None:
    assert TOKEN not in repr(parse(BASE))


@pytest.mark.parametrize(("text", "message"), [
    (BASE.replace("env:TOK", TOKEN), "/etc/gw.yaml:3: token must be a reference"),
    (BASE.replace("env:TOK", "env:MISSING"), "/etc/gw.yaml:3: environment variable 'MISSING'"),
    (BASE.replace("env:TOK", "file:nope.token"), "/etc/gw.yaml:3: cannot read the token file"),
    (BASE + "    colour: blue\n", "/etc/gw.yaml:8: unknown key 'colour' in an upstream"),
    (BASE + "  - name: files\n    url: http://127.0.0.1:1/mcp\n", "/etc/gw.yaml:8: upstream name 'files' is also"),
    (BASE.replace("name: files", "name: my_files"), "/etc/gw.yaml:5: upstream name 'my_files' must be"),
    (BASE.replace("    command: files-server\n", ""), "needs exactly one of 'command' (stdio) or 'url'"),
    (BASE + "listen: nowhere\n", "/etc/gw.yaml:8: listen must be HOST:PORT"),
    (BASE + "max_body_bytes: -1\n", "/etc/gw.yaml:8: max_body_bytes must be positive"),
    (BASE + "  - name: web\n    url: ftp://x\n", "/etc/gw.yaml:9: url must be http:// or https://"),
    (BASE + "  - name: web\n    url: http://x/mcp\n    transport: websocket\n", "/etc/gw.yaml:10: transport must"),
    ("upstreams: []\n", "'upstreams' must list at least one server"),
    ("clients: [\n", "/etc/gw.yaml:2: invalid YAML"),
])
def test_errors_name_the_line(text: str, message: str) -> None:
    assert message in error(text)


def test_short_tokens_are_refused() -> None:
    assert "shorter than 16 characters" in error(BASE, {"TOK": "short"})


def test_no_clients_is_refused_unless_anonymous_is_asked_for_by_name() -> None:
    text = "upstreams:\n  - name: a\n    command: a\n"
    assert "no 'clients' with tokens" in error(text)
    assert parse(text + "unsafe_allow_anonymous: true\n").unsafe_allow_anonymous  # type: ignore[attr-defined]


def test_two_transparent_upstreams_are_refused_at_load() -> None:
    text = BASE + "    prefix: ''\n  - name: web\n    url: http://127.0.0.1:9/mcp\n    prefix: ''\n"
    assert "/etc/gw.yaml:9: only one upstream may have prefix ''" in error(text)


def test_duplicate_prefix_is_refused() -> None:
    text = BASE + "  - name: web\n    url: http://127.0.0.1:9/mcp\n    prefix: files\n"
    assert "prefix 'files' is also used at /etc/gw.yaml:5" in error(text)


def test_duplicate_tokens_are_refused() -> None:
    text = BASE.replace("upstreams:", "  - identity: bob\n    token: env:TOK\nupstreams:")
    assert "/etc/gw.yaml:4: a token of identity" in error(text)


def test_paths_are_relative_to_the_config_file() -> None:
    config = parse(BASE + "policy: garrison.yaml\nevents: /var/log/gw.jsonl\n")
    assert config.policy == "/etc/garrison.yaml"  # type: ignore[attr-defined]
    assert config.events == "/var/log/gw.jsonl"  # type: ignore[attr-defined]


def test_example_config_in_the_repository_parses() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "gateway.yaml"
    environ = {"GARRISON_TOKEN_ALICE": TOKEN, "GARRISON_TOKEN_CI": TOKEN[::-1], "SEARCH_API_KEY": "k"}
    config = parse_config(example.read_text(), path=str(example), environ=environ,
                          read=lambda p: TOKEN + "-file")
    assert [u.name for u in config.upstreams] == ["files", "search", "legacy"]
