"""The pure core: config text in, edited text and changes out, for each format and entry shape."""

from __future__ import annotations

import pytest

from garrison.errors import ConfigError, ConfigParseError
from garrison.install import FileForm, plan_text
from garrison.install.rewrite import TextPlan

LAUNCHER = ("/g/garrison",)
JSONC = FileForm("jsonc", (("mcpServers",),), "cursor")
JSON = FileForm("json", (("mcpServers",),), "claude-desktop")
TOML = FileForm("toml", (("mcp_servers",),), "codex")
YAML_LIST = FileForm("yaml", (("mcpServers",),), "continue")
GOOSE = FileForm("yaml", (("extensions",),), "goose")
VSCODE = FileForm("jsonc", (("mcp", "servers"),), "vscode")
ZED = FileForm("jsonc", (("context_servers",),), "zed")
CLAUDE_CODE = FileForm("json", (("mcpServers",), ("projects", "*", "mcpServers")), "claude-code")


def wrap(text: str, form: FileForm) -> TextPlan:
    return plan_text(text, form=form, path="cfg", operation="wrap", launcher=LAUNCHER)


def unwrap(text: str, form: FileForm) -> TextPlan:
    return plan_text(text, form=form, path="cfg", operation="unwrap")


def round_trip(text: str, form: FileForm, expected: str) -> None:
    """Wrapping gives ``expected``; wrapping again changes nothing; unwrapping gives the text back."""
    plan = wrap(text, form)
    assert plan.new == expected
    assert not wrap(plan.new, form).changed
    assert unwrap(plan.new, form).new == text


@pytest.mark.parametrize(("text", "expected"), [
    ('{"mcpServers": {"a": {"command": "npx", "args": ["-y", "pkg"]}}}',
     '{"mcpServers": {"a": {"command": "/g/garrison", "args": ["wrap", "--name", "a", "--", "npx", "-y", "pkg"]}}}'),
    ('{"mcpServers": {"a": {"command": "npx", "args": ["-y","pkg"]}}}',
     '{"mcpServers": {"a": {"command": "/g/garrison", "args": ["wrap","--name","a","--","npx","-y","pkg"]}}}'),
    ('{"mcpServers": {"a": {"args": [], "command": "srv"}}}',
     '{"mcpServers": {"a": {"args": ["wrap", "--name", "a", "--", "srv"], "command": "/g/garrison"}}}'),
    ('{"mcpServers": {"a": {"command": "srv", "args": [\n  "x", // c\n  "y"\n]}}}',
     '{"mcpServers": {"a": {"command": "/g/garrison", "args": [\n  "wrap",\n  "--name",\n  "a",\n  "--",\n'
     '  "srv",\n  "x", // c\n  "y"\n]}}}'),
])
def test_json_args_rewritten_in_the_file_s_own_layout(text: str, expected: str) -> None:
    round_trip(text, JSONC, expected)


def test_missing_args_are_added_next_to_the_command() -> None:
    text = '{"mcpServers": {"a": {"command": "./run.sh", "env": {"K": "v"}}}}'
    plan = wrap(text, JSON)
    assert plan.new == ('{"mcpServers": {"a": {"command": "/g/garrison", "args": ["wrap", "--name", "a", "--", '
                        '"./run.sh"], "env": {"K": "v"}}}}')
    assert unwrap(plan.new, JSON).new == '{"mcpServers": {"a": {"command": "./run.sh", "args": [], "env": {"K": "v"}}}}'


def test_special_characters_in_names_and_arguments_survive() -> None:
    text = '{"mcpServers": {"we\\"ird \\u00e9": {"command": "C:\\\\tools\\\\srv.exe", "args": ["--", "a\\nb"]}}}'
    plan = wrap(text, JSON)
    assert unwrap(plan.new, JSON).new == text
    assert '"--name", "we\\"ird é", "--", "C:\\\\tools\\\\srv.exe", "--", "a\\nb"' in plan.new


def test_remote_disabled_and_in_process_entries() -> None:
    text = """{"mcpServers": {
      "r": {"url": "https://x.example/mcp"},
      "s": {"type": "sse", "url": "https://x.example/sse"},
      "off": {"command": "srv", "disabled": true},
      "none": {"env": {}}
    }}"""
    plan = wrap(text, JSON)
    assert [(e.server, e.action) for e in plan.entries] == [
        ("r", "remote"), ("s", "remote"), ("off", "wrapped"), ("none", "no-command")]
    assert '"off": {"command": "/g/garrison", "args": ["wrap", "--name", "off", "--", "srv"], "disabled": true}' \
        in plan.new
    goose = "extensions:\n  developer:\n    type: builtin\n    enabled: true\n"
    assert wrap(goose, GOOSE).entries == ()


def test_toml_layouts() -> None:
    text = (
        '[mcp_servers.a]\ncommand = "srv"  # c\n\n'
        "[mcp_servers]\nb.command = 'x'\nc = { command = \"y\", args = [\"1\"] }\n"
        '"d e" = { command = "z" }\n'
    )
    plan = wrap(text, TOML)
    assert plan.new == (
        '[mcp_servers.a]\ncommand = "/g/garrison"  # c\nargs = ["wrap", "--name", "a", "--", "srv"]\n\n'
        '[mcp_servers]\nb.command = "/g/garrison"\nb.args = ["wrap", "--name", "b", "--", "x"]\n'
        'c = { command = "/g/garrison", args = ["wrap", "--name", "c", "--", "y", "1"] }\n'
        '"d e" = { command = "/g/garrison", args = ["wrap", "--name", "d e", "--", "z"] }\n'
    )
    assert not wrap(plan.new, TOML).changed


def test_toml_multiline_array_keeps_its_items_and_comments() -> None:
    text = '[mcp_servers.a]\ncommand = "srv"\nargs = [\n  "x",  # first\n  "y",\n]\n'
    round_trip(text, TOML, '[mcp_servers.a]\ncommand = "/g/garrison"\nargs = [\n  "wrap",\n  "--name",\n  "a",\n'
                           '  "--",\n  "srv",\n  "x",  # first\n  "y",\n]\n')


def test_toml_string_escapes() -> None:
    text = '[mcp_servers.a]\ncommand = "srv"\nargs = ["tab\\there", "quote\\"", "del\\u007F"]\n'
    plan = wrap(text, TOML)
    assert unwrap(plan.new, TOML).new == text


@pytest.mark.parametrize(("text", "expected"), [
    ("mcpServers:\n  - name: a\n    command: srv  # c\n    args:\n      - x  # c2\n      - y\n    # end\n",
     "mcpServers:\n  - name: a\n    command: /g/garrison  # c\n    args:\n      - wrap\n      - \"--name\"\n"
     "      - a\n      - \"--\"\n      - srv\n      - x  # c2\n      - y\n    # end\n"),
    ("mcpServers:\n- name: a\n  command: srv\n  args:\n  - x\n",
     "mcpServers:\n- name: a\n  command: /g/garrison\n  args:\n  - wrap\n  - \"--name\"\n  - a\n  - \"--\"\n"
     "  - srv\n  - x\n"),
    ("mcpServers:\n  - {name: a, command: srv}\n",
     'mcpServers:\n  - {name: a, command: /g/garrison, args: [wrap, "--name", a, "--", srv]}\n'),
    ("mcpServers:\n  - name: 'yes'\n    command: srv\n",
     "mcpServers:\n  - name: 'yes'\n    command: /g/garrison\n    args: [wrap, \"--name\", \"yes\", \"--\", srv]\n"),
])
def test_yaml_layouts(text: str, expected: str) -> None:
    plan = wrap(text, YAML_LIST)
    assert plan.new == expected
    assert not wrap(plan.new, YAML_LIST).changed


def test_goose_cmd_and_nested_config() -> None:
    text = ("extensions:\n  gh:\n    type: stdio\n    cmd: npx\n    args: [-y, gh]\n"
            "  nested:\n    enabled: true\n    config:\n      type: stdio\n      cmd: uvx\n")
    plan = wrap(text, GOOSE)
    assert plan.new == (
        'extensions:\n  gh:\n    type: stdio\n    cmd: /g/garrison\n    args: [wrap, "--name", gh, "--", npx, -y, gh]\n'
        '  nested:\n    enabled: true\n    config:\n      type: stdio\n      cmd: /g/garrison\n'
        '      args: [wrap, "--name", nested, "--", uvx]\n')


def test_yaml_alias_is_refused_not_edited_through_the_anchor() -> None:
    text = "common: &args [x]\nmcpServers:\n  - name: a\n    command: srv\n    args: *args\n"
    plan = wrap(text, YAML_LIST)
    assert not plan.changed
    [entry] = plan.entries
    assert entry.action == "refused"
    assert "alias" in entry.detail
    assert entry.line == 3


def test_vscode_flat_and_nested_keys_and_zed_old_shape() -> None:
    flat = '{\n  // s\n  "mcp.servers": {"m": {"command": "npx"}},\n}'
    assert '"mcp.servers": {"m": {"command": "/g/garrison", "args": ["wrap", "--name", "m", "--", "npx"]}},' \
        in wrap(flat, VSCODE).new
    zed = '{"context_servers": {"o": {"command": {"path": "/bin/o", "args": ["--stdio"]}}}}'
    round_trip(zed, ZED, '{"context_servers": {"o": {"command": {"path": "/g/garrison", "args": ["wrap", "--name", '
                         '"o", "--", "/bin/o", "--stdio"]}}}}')


def test_claude_code_project_scopes() -> None:
    text = '{"mcpServers": {}, "projects": {"/srv/a": {"mcpServers": {"p": {"command": "srv"}}}}}'
    plan = wrap(text, CLAUDE_CODE)
    assert [(e.server, e.scope, e.action) for e in plan.entries] == [("p", "project:/srv/a", "wrapped")]


def test_unparsable_text_names_its_line() -> None:
    with pytest.raises(ConfigParseError) as info:
        wrap('{\n  "mcpServers": {\n    "a": {"command": }\n  }\n}', JSONC)
    assert info.value.line == 3


def test_duplicate_keys_make_the_file_ambiguous() -> None:
    text = '{"mcpServers": {"a": {"command": "x"}}, "mcpServers": {"b": {"command": "y"}}}'
    with pytest.raises(ConfigError, match="ambiguous"):
        wrap(text, JSON)
    inner = '{"mcpServers": {"a": {"command": "x", "command": "y"}}}'
    plan = wrap(inner, JSON)
    assert not plan.changed
    assert plan.entries[0].action == "refused"


def test_unwrap_leaves_unknown_wrap_options_alone() -> None:
    text = '{"mcpServers": {"a": {"command": "/g/garrison", "args": ["wrap", "positional", "--", "srv"]}}}'
    plan = unwrap(text, JSON)
    assert not plan.changed
    assert plan.entries[0].action == "refused"


def test_python_module_launcher() -> None:
    text = '{"mcpServers": {"a": {"command": "srv"}}}'
    plan = plan_text(text, form=JSON, path="cfg", operation="wrap", launcher=("/py/python3", "-m", "garrison"))
    assert '"command": "/py/python3", "args": ["-m", "garrison", "wrap", "--name", "a", "--", "srv"]' in plan.new
    assert not plan_text(plan.new, form=JSON, path="cfg", operation="wrap", launcher=LAUNCHER).changed
    assert unwrap(plan.new, JSON).new == '{"mcpServers": {"a": {"command": "srv", "args": []}}}'


def test_bom_and_crlf_are_kept() -> None:
    text = '\ufeff{\r\n  "mcpServers": {\r\n    "a": {"command": "srv"}\r\n  }\r\n}\r\n'
    plan = wrap(text, JSONC)
    assert plan.new.startswith("\ufeff{\r\n")
    assert plan.new.count("\r\n") == 5
    assert unwrap(plan.new, JSONC).new.replace(', "args": []', "") == text


def test_yaml_entry_that_is_an_alias_is_refused() -> None:
    text = "templates:\n  - &srv {name: a, command: npx}\nmcpServers:\n  - *srv\n"
    plan = wrap(text, YAML_LIST)
    assert not plan.changed
    assert [(e.server, e.action) for e in plan.entries] == [("a", "refused")]
    assert "alias" in plan.entries[0].detail


def test_yaml_merge_key_without_own_command_is_refused() -> None:
    text = "base: &base {command: npx}\nmcpServers:\n  - name: a\n    <<: *base\n    args: [x]\n"
    plan = wrap(text, YAML_LIST)
    assert not plan.changed
    assert [(e.server, e.action, e.detail) for e in plan.entries] == [("a", "refused", "no command to replace")]
