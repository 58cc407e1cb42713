"""The span readers point at exactly the text of each value: every located value, parsed on its own, equals the
value the ordinary parser reads at the same place. Checked on hand-written samples and on real files from the
shared corpora (TOML, YAML, JSON written by other projects)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from garrison.discovery import parse_config_text, strip_jsonc
from garrison.errors import ConfigParseError
from garrison.install.jsonc_spans import parse_json_spans
from garrison.install.spans import Node, Replacement, apply_replacements, line_of
from garrison.install.toml_spans import parse_toml_spans
from garrison.install.yaml_spans import ALIAS_STYLE, parse_yaml_spans

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"


def pairs(node: Node, value: Any) -> Iterator[tuple[Node, Any]]:
    """Every (span node, parsed value) at the same place."""
    yield node, value
    if node.kind == "object" and isinstance(value, dict):
        for m in node.members:
            assert m.key in value or any(str(k) == m.key for k in value), m.key
            child = value[m.key] if m.key in value else next(v for k, v in value.items() if str(k) == m.key)
            yield from pairs(m.value, child)
    elif node.kind == "array" and isinstance(value, list):
        assert len(node.items) == len(value)
        for item, child in zip(node.items, value, strict=True):
            yield from pairs(item, child)


def check_json(text: str) -> int:
    n = 0
    for node, value in pairs(parse_json_spans(text, path="t"), parse_config_text(text, fmt="jsonc", path="t")):
        assert json.loads(strip_jsonc(text[node.start:node.end])) == value
        n += 1
    return n


def check_toml(text: str) -> int:
    n = 0
    for node, value in pairs(parse_toml_spans(text, path="t"), tomllib.loads(text)):
        if node.start >= 0 and node.style != "table":
            assert tomllib.loads("v = " + text[node.start:node.end])["v"] == value
            n += 1
    return n


def check_yaml(text: str) -> int:
    root = parse_yaml_spans(text, path="t")
    if root is None:
        return 0
    n = 0
    for node, value in pairs(root, yaml.safe_load(text)):
        if node.style == ALIAS_STYLE or node.kind == "object" or node.style == "block":
            continue
        if node.kind == "scalar" and node.style in ("|", ">"):
            continue
        assert yaml.safe_load(text[node.start:node.end]) == value, text[node.start:node.end]
        n += 1
    return n


def test_json_samples() -> None:
    assert check_json('\ufeff{"a": [1, 2.5e3, true, null, "x\\"y"], /* c */ "b": {"c": {}},}') == 9
    assert check_json('[\n  // c\n  {"k": "v"},\n]') == 3


def test_toml_samples() -> None:
    text = (
        'a = 1\nb = "two"  # c\n"q.k" = \'lit\'\n[t]\nx = [1, [2, 3], { y = "z" }]\n'
        'm = """\nmulti "quoted" """\nl = \'\'\'\nraw\\\'\'\'\nd = 1979-05-27 07:32:00Z\n'
        "[[arr]]\nn = 1\n[[arr]]\nn = 2\n[t.sub]\ndotted.key = true\n"
    )
    assert check_toml(text) > 10


def test_yaml_samples() -> None:
    text = "a: 1\nb: [x, 'y', \"z\"]\nc:\n  - p\n  - {q: r}\nd: &anchor v\ne: *anchor\nf: |\n  block\n"
    assert check_yaml(text) == 8
    root = parse_yaml_spans(text, path="t")
    assert root is not None
    e = root.member("e")
    assert e is not None
    assert e.value.style == ALIAS_STYLE


@pytest.mark.parametrize(("reader", "text", "line"), [
    (parse_json_spans, '{\n "a": [1,\n', 3),
    (parse_toml_spans, 'a = 1\nb = "open\n', 2),
    (parse_toml_spans, "[t]\nx = \n", 2),
    (parse_yaml_spans, "a: [1\nb: 2\n", 2),
])
def test_unreadable_text_names_the_line(reader: Any, text: str, line: int) -> None:
    with pytest.raises(ConfigParseError) as info:
        reader(text, path="cfg")
    assert info.value.path == "cfg"
    assert info.value.line is not None
    assert abs(info.value.line - line) <= 1


def test_nesting_limit() -> None:
    with pytest.raises(ConfigParseError, match="nested deeper"):
        parse_json_spans("[" * 300 + "]" * 300, path="deep")


def test_replacements_apply_in_any_order_and_refuse_overlaps() -> None:
    assert apply_replacements("abcdef", [Replacement(4, 5, "E"), Replacement(0, 1, "A"), Replacement(3, 3, "+")]) \
        == "Abc+dEf"
    with pytest.raises(ValueError, match="overlapping"):
        apply_replacements("abcdef", [Replacement(0, 3, ""), Replacement(2, 4, "")])
    assert [line_of("a\nb\nc", i) for i in (0, 1, 2, 4)] == [1, 1, 2, 3]


@pytest.fixture(scope="module")
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"shared corpora not found at {CORPORA}")
    return CORPORA


def test_spans_of_real_toml(corpora: Path) -> None:
    path = corpora / "secrets" / "gitleaks.toml"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    assert check_toml(path.read_text(encoding="utf-8")) > 1000


def test_spans_of_real_yaml(corpora: Path) -> None:
    files = sorted((corpora / "sigma").rglob("*.yml"))[::10][:100]
    if not files:
        pytest.skip("no Sigma rules in the corpora")
    checked = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        checked += check_yaml(text)
    assert checked > 1000


def test_spans_of_real_json(corpora: Path) -> None:
    files = sorted(p for p in corpora.rglob("*.json") if p.stat().st_size < 2_000_000)[:60]
    if not files:
        pytest.skip("no JSON files in the corpora")
    assert sum(check_json(p.read_text(encoding="utf-8")) for p in files) > 1000


def test_wrapping_inside_a_large_real_toml_touches_only_the_server(corpora: Path) -> None:
    from garrison.install import FileForm, plan_text

    path = corpora / "secrets" / "gitleaks.toml"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    text = path.read_text(encoding="utf-8") + '\n[mcp_servers.scan]\ncommand = "gitleaks-mcp"\n'
    form = FileForm("toml", (("mcp_servers",),), "codex")
    plan = plan_text(text, form=form, path=str(path), operation="wrap", launcher=("/g/garrison",))
    assert plan.new == text.replace('command = "gitleaks-mcp"\n', 'command = "/g/garrison"\n'
                                    'args = ["wrap", "--name", "scan", "--", "gitleaks-mcp"]\n')
