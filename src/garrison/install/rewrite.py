"""The pure core of ``install``/``uninstall``: config text in, edited text and a list of changes out.

Only the values of ``command``/``args`` (Goose: ``cmd``; Zed's older shape: ``command.path``/``command.args``)
of the affected entries are replaced; every other character of the file is kept. The result is parsed again
and must equal the original document with exactly those values changed, or the file is refused.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from garrison.discovery.parsers import parse_config_text
from garrison.discovery.shapes import entry_to_spec
from garrison.errors import ConfigError
from garrison.install.jsonc_spans import json_insert_after, json_list, json_string, parse_json_spans
from garrison.install.spans import Member, Node, Replacement, apply_replacements, find_containers, line_of, newline_of
from garrison.install.toml_spans import parse_toml_spans, toml_insert_after, toml_list, toml_string
from garrison.install.wrapping import is_wrapped, unwrap_argv, wrap_argv
from garrison.install.yaml_spans import ALIAS_STYLE, parse_yaml_spans, yaml_insert_after, yaml_list, yaml_string

__all__ = ["EntryAction", "EntryChange", "FileForm", "TextPlan", "plan_text", "unified_diff"]

Operation = Literal["wrap", "unwrap"]
EntryAction = Literal["wrapped", "unwrapped", "already-wrapped", "not-wrapped", "remote", "no-command", "refused"]
"""``wrapped``/``unwrapped`` changed; ``already-wrapped`` (install) and ``not-wrapped`` (uninstall) left as
they are; ``remote`` an HTTP/SSE server (use ``garrison gateway``); ``no-command`` nothing to launch;
``refused`` the entry cannot be edited safely (the reason is in ``detail``)."""
DocPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class FileForm:
    """How to read one config file: its format, where its servers are, and whose it is."""

    fmt: str
    keys: tuple[tuple[str, ...], ...]
    client: str
    scope: str = "user"
    url_transport: str = "http"


@dataclass(frozen=True, slots=True)
class EntryChange:
    server: str
    scope: str
    action: EntryAction
    line: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TextPlan:
    old: str
    new: str
    entries: tuple[EntryChange, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return self.new != self.old


@dataclass(frozen=True, slots=True)
class _Syntax:
    parse: Callable[[str, str], Node | None]
    string: Callable[[str], str]
    str_list: Callable[..., str]
    insert_after: Callable[[Member, str, str, str], Replacement]


def _parse_json(text: str, path: str) -> Node | None:
    return parse_json_spans(text, path=path)


def _parse_toml(text: str, path: str) -> Node | None:
    return parse_toml_spans(text, path=path)


def _parse_yaml(text: str, path: str) -> Node | None:
    return parse_yaml_spans(text, path=path)


_SYNTAX = {
    "json": _Syntax(_parse_json, json_string, json_list, json_insert_after),
    "jsonc": _Syntax(_parse_json, json_string, json_list, json_insert_after),
    "toml": _Syntax(_parse_toml, toml_string, toml_list, toml_insert_after),
    "yaml": _Syntax(_parse_yaml, yaml_string, yaml_list, yaml_insert_after),
}


def _get(doc: Any, seg: str | int) -> Any:
    if isinstance(doc, list) and isinstance(seg, int):
        return doc[seg]
    if isinstance(doc, Mapping):
        if seg in doc:
            return doc[seg]
        for key, value in doc.items():
            if str(key) == str(seg):
                return value
    raise KeyError(seg)


def _at(doc: Any, path: DocPath) -> Any:
    for seg in path:
        doc = _get(doc, seg)
    return doc


def _set(doc: Any, path: DocPath, value: Any) -> None:
    parent = _at(doc, path[:-1])
    last = path[-1]
    if isinstance(parent, Mapping):
        last = next((k for k in parent if str(k) == str(last)), last)
    parent[last] = value


@dataclass(slots=True)
class _Edit:
    """One entry's rewrite: the text replacements and the document values they must produce."""

    replacements: list[Replacement]
    values: list[tuple[DocPath, Any]]


def _entries(container: Node, doc_container: Any) -> list[tuple[str | int, str | None, Node, int]]:
    """``(path segment, server name, entry node, position)`` for each entry of a container."""
    out: list[tuple[str | int, str | None, Node, int]] = []
    if container.kind == "object":
        out.extend((m.key, m.key, m.value, m.key_start) for m in container.members)
    elif container.kind == "array" and isinstance(doc_container, list):
        for i, item in enumerate(container.items):
            raw = doc_container[i] if i < len(doc_container) else None
            name = raw.get("name") if isinstance(raw, Mapping) else None
            out.append((i, name if isinstance(name, str) and name else None, item, item.start))
    return out


def _separator(array: Node, text: str) -> str:
    """The text between two items of ``array`` as a new item would be laid out."""
    newline = newline_of(text)
    first = array.items[0].start
    if array.style == "block":  # YAML: "- a\n  - b"
        return newline + " " * array.column + "- "
    if "\n" in text[array.start:first]:
        return "," + newline + text[text.rfind("\n", 0, first) + 1:first]
    if len(array.items) > 1:
        between = text[array.items[0].end:array.items[1].start]
        if between.strip(" \t") == ",":
            return between
    return ", "


def _edit_entry(entry: Node, entry_path: DocPath, command: str, args: Sequence[str], text: str,
                syntax: _Syntax, keep: int) -> _Edit | str:
    """Replacements that set the entry's command and args; a reason string when that cannot be done safely.

    ``keep`` trailing items of the existing ``args`` array are the same values in the new list; their text
    is kept as written.
    """
    if entry.style == ALIAS_STYLE:
        return "the entry is a YAML alias; edit it by hand"
    target, path = entry, entry_path
    if not any(entry.member(k) for k in ("command", "cmd", "url", "uri")):
        nested = entry.member("config")
        if nested is not None and nested.value.kind == "object":
            target, path = nested.value, (*entry_path, "config")
    cmd = target.member("command") or target.member("cmd")
    if cmd is None:
        return "no command to replace"
    holder, holder_path, cmd_path = target, path, (*path, cmd.key)
    if cmd.value.kind == "object":  # Zed's older {"command": {"path", "args"}}
        holder, holder_path = cmd.value, cmd_path
        inner = holder.member("path")
        if inner is None:
            return "no command path to replace"
        cmd, cmd_path = inner, (*cmd_path, "path")
    args = list(args)
    arg_member = holder.member("args")
    for node in (cmd.value, arg_member.value if arg_member else None):
        if node is not None and (node.style == ALIAS_STYLE or node.start < 0):
            return "its command or args is a YAML alias or a table of its own; edit it by hand"
    for node in (holder, target):
        if node.duplicate_keys():
            return f"duplicate key {node.duplicate_keys()[0]!r}"
    reps = [Replacement(cmd.value.start, cmd.value.end, syntax.string(command))]
    if arg_member is not None:
        like = arg_member.value
        if like.kind == "array" and 0 < keep <= len(like.items) and keep <= len(args):
            # Keep the trailing items as written (with their comments); rewrite only the head before them.
            head = [syntax.string(a) for a in args[:len(args) - keep]]
            first, kept = like.items[0], like.items[len(like.items) - keep]
            sep = _separator(like, text)
            reps.append(Replacement(first.start, kept.start, "".join(h + sep for h in head)))
        else:
            reps.append(Replacement(like.start, like.end, syntax.str_list(args, like=like, text=text)))
    else:
        reps.append(syntax.insert_after(cmd, "args", syntax.str_list(args, like=None, text=text), text))
    return _Edit(reps, [(cmd_path, command), ((*holder_path, "args"), args)])


@dataclass(frozen=True, slots=True)
class _Entry:
    """One server entry found in both trees: where it is (span tree, document path) and what it says."""

    path: DocPath
    scope: str
    name: str
    node: Node
    line: int
    raw: Mapping[str, Any]


def _locate(doc: Any, root: Node, text: str, form: FileForm, path: str) -> list[_Entry]:
    found: list[_Entry] = []
    try:
        for key_path in form.keys:
            for container, trail, scope in find_containers(root, key_path, form.scope):
                doc_container = _at(doc, trail)
                for seg, name, node, pos in _entries(container, doc_container):
                    raw = _get(doc_container, seg)
                    if name is not None and isinstance(raw, Mapping) and node.kind == "object":
                        found.append(_Entry((*trail, seg), scope, name, node, line_of(text, pos), raw))
    except (KeyError, IndexError, TypeError):
        raise ConfigError("the servers' place in the file is ambiguous (a key written twice?); not edited",
                          where=path) from None
    return found


def _plan_entry(entry: _Entry, text: str, form: FileForm, path: str, operation: Operation,
                launcher: Sequence[str], syntax: _Syntax) -> tuple[EntryChange | None, _Edit | None]:
    spec = entry_to_spec(entry.name, entry.raw, client=form.client, config_path=path, scope=entry.scope,
                         url_transport=form.url_transport)
    if spec is None:  # an in-process extension, not a server
        return None, None

    def change(action: EntryAction, detail: str = "") -> EntryChange:
        return EntryChange(entry.name, entry.scope, action, entry.line, detail)

    if spec.transport in ("http", "sse"):
        return change("remote", "not wrapped (remote; use garrison gateway)"), None
    if spec.command is None:
        return change("no-command"), None
    wrapped = is_wrapped(spec.command, spec.args)
    if operation == "wrap":
        if wrapped:
            return change("already-wrapped"), None
        command, args = wrap_argv(launcher, entry.name, spec.command, spec.args)
        keep = len(spec.args)
    else:
        if not wrapped:
            return change("not-wrapped"), None
        inner = unwrap_argv(spec.command, spec.args)
        if inner is None:
            return change("refused", "the wrapped command line has options this version does not know"), None
        command, args = inner
        keep = len(args)
    edit = _edit_entry(entry.node, entry.path, command, args, text, syntax, keep)
    if isinstance(edit, str):
        return change("refused", edit), None
    return change("wrapped" if operation == "wrap" else "unwrapped"), edit


def plan_text(
    text: str,
    *,
    form: FileForm,
    path: str,
    operation: Operation,
    launcher: Sequence[str] = (),
) -> TextPlan:
    """Wrap (``operation="wrap"``, with ``launcher``) or unwrap every stdio server of one config text.

    Raises ``ConfigParseError`` (with line) when the text does not parse, ``ConfigError`` when the edited text
    would not read back as exactly the intended document (the file must then be left as it is).
    """
    if operation == "wrap" and not launcher:
        raise ValueError("wrapping needs a launcher")
    syntax = _SYNTAX[form.fmt]
    doc = parse_config_text(text, fmt=form.fmt, path=path)
    root = syntax.parse(text, path)
    if root is None or doc is None:
        return TextPlan(text, text)
    changes: list[EntryChange] = []
    edits: list[_Edit] = []
    for entry in _locate(doc, root, text, form, path):
        change, edit = _plan_entry(entry, text, form, path, operation, launcher, syntax)
        if change is not None:
            changes.append(change)
        if edit is not None:
            edits.append(edit)
    if not edits:
        return TextPlan(text, text, tuple(changes))
    new = apply_replacements(text, [r for e in edits for r in e.replacements])
    _verify(doc, new, edits, form, path)
    return TextPlan(text, new, tuple(changes))


def _verify(doc: Any, new: str, edits: Sequence[_Edit], form: FileForm, path: str) -> None:
    expected = copy.deepcopy(doc)
    for edit in edits:
        for value_path, value in edit.values:
            _set(expected, value_path, value)
    try:
        got = parse_config_text(new, fmt=form.fmt, path=path)
    except ConfigError as err:
        raise ConfigError(f"the edited file would not parse ({err.message}); not edited", where=path) from None
    if got != expected:
        raise ConfigError("the edited file would not read back as intended; not edited", where=path)


def unified_diff(old: str, new: str, path: str) -> str:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=path, tofile=path)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
