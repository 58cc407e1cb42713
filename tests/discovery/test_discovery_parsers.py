"""Config parsing: JSONC stripping keeps positions; every format's syntax errors carry path and line."""

from __future__ import annotations

import json

import pytest

from garrison.discovery import parse_config_text, strip_jsonc
from garrison.discovery.parsers import format_for_path
from garrison.errors import ConfigParseError


def test_jsonc_comments_and_trailing_commas() -> None:
    text = """{
  // a line comment with "quotes" and a trailing comma,
  "a": [1, 2, /* inline */ 3,],
  /* a block
     comment */
  "b": {"c": "d",},
}"""
    assert parse_config_text(text, fmt="jsonc", path="x") == {"a": [1, 2, 3], "b": {"c": "d"}}


def test_jsonc_leaves_strings_alone() -> None:
    text = r'{"url": "https://a.example//b", "glob": "/* not a comment */", "s": "a,]", "q": "x\"//y",}'
    assert parse_config_text(text, fmt="jsonc", path="x") == {
        "url": "https://a.example//b", "glob": "/* not a comment */", "s": "a,]", "q": 'x"//y'}


def test_jsonc_stripping_preserves_length_and_lines() -> None:
    text = '{\n  // c\n  "a": 1, /* x\n y */\n}\n'
    stripped = strip_jsonc(text)
    assert len(stripped) == len(text)
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    assert [i for i, ch in enumerate(stripped) if ch == "\n"] == newlines
    assert json.loads(stripped) == {"a": 1}


def test_jsonc_error_position_matches_the_original_text() -> None:
    text = '{\n  /* long\n  comment */ "a": 1,\n  // note\n  "b": tru\n}'
    with pytest.raises(ConfigParseError) as info:
        parse_config_text(text, fmt="jsonc", path="/cfg/settings.json")
    assert (info.value.path, info.value.line, info.value.column) == ("/cfg/settings.json", 5, 8)


def test_strict_json_rejects_comments_and_trailing_commas() -> None:
    with pytest.raises(ConfigParseError) as info:
        parse_config_text('{\n  "a": 1,\n}', fmt="json", path="p.json")
    assert info.value.line == 3
    with pytest.raises(ConfigParseError):
        parse_config_text('// c\n{}', fmt="json", path="p.json")


def test_unterminated_block_comment_is_an_error() -> None:
    with pytest.raises(ConfigParseError, match="invalid JSON"):
        parse_config_text('{"a": 1 /* never closed', fmt="jsonc", path="p")


@pytest.mark.parametrize(("fmt", "text", "line"), [
    ("json", '{\n\n  "a": }', 3),
    ("jsonc", "{\n  // fine\n  'single': 1\n}", 3),
    ("toml", 'a = 1\nb = "x\nc = 3\n', 2),
    ("toml", "[t]\nx = 1\n[t]\n", 3),
    ("yaml", "a: 1\nb: [1, 2\nc: 3\n", 3),
    ("yaml", "a: 1\n  b: 2\n", 2),
    ("json", "", 1),
])
def test_syntax_errors_carry_line_numbers(fmt: str, text: str, line: int) -> None:
    with pytest.raises(ConfigParseError) as info:
        parse_config_text(text, fmt=fmt, path="/some/file")
    assert info.value.path == "/some/file"
    assert info.value.line == line
    assert str(info.value).startswith(f"/some/file:{line}")


def test_deep_nesting_is_reported_not_crashed() -> None:
    with pytest.raises(ConfigParseError, match="too deeply"):
        parse_config_text("[" * 100_000 + "]" * 100_000, fmt="json", path="deep.json")


def test_bom_is_ignored() -> None:
    assert parse_config_text('\ufeff{"a": 1}', fmt="json", path="x") == {"a": 1}


def test_yaml_is_loaded_safely() -> None:
    with pytest.raises(ConfigParseError):
        parse_config_text("a: !!python/object/apply:os.system ['true']\n", fmt="yaml", path="evil.yaml")


def test_format_by_extension() -> None:
    assert [format_for_path(p, "auto") for p in ("a.yaml", "b.YML", "c.json", "d.toml")] == [
        "yaml", "yaml", "jsonc", "toml"]
    assert format_for_path("a.yaml", "json") == "json"
