"""YAML → span tree (from the composer's node marks), and YAML text for new values. Pure.

A block sequence's span ends at its last item (the composer's own end mark runs on over trailing comments).
A value whose text lies before its key is an alias (``*name``); it is marked so that it is never edited in
place, which would change every other use of the anchor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from garrison.errors import ConfigParseError
from garrison.install.spans import MAX_NESTING, Member, Node, Replacement, newline_of

__all__ = ["ALIAS_STYLE", "parse_yaml_spans", "yaml_insert_after", "yaml_list", "yaml_string"]

ALIAS_STYLE = "alias"
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./+-]*")


def _convert(node: Any, text: str, depth: int, path: str) -> Node:
    import yaml

    if depth > MAX_NESTING:
        raise ConfigParseError(f"cannot locate values: nested deeper than {MAX_NESTING}", path=path,
                               line=node.start_mark.line + 1)
    start, end, column = node.start_mark.index, node.end_mark.index, node.start_mark.column
    if isinstance(node, yaml.MappingNode):
        out = Node("object", start, end, style="flow" if node.flow_style else "block", column=column)
        for key_node, value_node in node.value:
            value = _convert(value_node, text, depth + 1, path)
            key_start, key_end = key_node.start_mark.index, key_node.end_mark.index
            if value.start < key_end:
                value.style = ALIAS_STYLE
            out.members.append(Member(str(key_node.value), key_start, value, after=value.end, key_end=key_end,
                                      indent=" " * key_node.start_mark.column, inline=bool(node.flow_style)))
        return out
    if isinstance(node, yaml.SequenceNode):
        items = [_convert(item, text, depth + 1, path) for item in node.value]
        for item in items:
            if item.start < start:  # an alias of a node defined earlier
                item.style = ALIAS_STYLE
        if not node.flow_style and items:
            end = max(item.end for item in items)
        return Node("array", start, end, items=items, style="flow" if node.flow_style else "block", column=column)
    while end > start and text[end - 1] in " \t\r\n":  # a block scalar's span includes its line breaks
        end -= 1
    return Node("scalar", start, end, style=str(node.style or "plain"), column=column)


def parse_yaml_spans(text: str, *, path: str) -> Node | None:
    """The span tree of a one-document YAML text (``None`` when empty); ``ConfigParseError`` when unreadable."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise ConfigParseError(f"invalid YAML: {err.problem or err.context or 'syntax error'}", path=path,
                               line=mark.line + 1 if mark is not None else None) from None
    except yaml.YAMLError as err:
        raise ConfigParseError(f"invalid YAML: {err}", path=path) from None
    except RecursionError:
        raise ConfigParseError("YAML nested too deeply", path=path) from None
    return None if root is None else _convert(root, text, 0, path)


def yaml_string(value: str) -> str:
    """A plain scalar when that reads back as the same string, else a double-quoted one."""
    import yaml

    if _PLAIN.fullmatch(value):
        try:
            if yaml.safe_load(value) == value:
                return value
        except yaml.YAMLError:
            pass
    return json.dumps(value, ensure_ascii=False)


def yaml_list(values: Sequence[str], *, like: Node | None, text: str) -> str:
    """A YAML sequence of strings: block items at the old column when ``like`` was a block sequence."""
    items = [yaml_string(v) for v in values]
    if like is not None and like.kind == "array" and like.style == "block" and items:
        newline = newline_of(text)
        return (newline + " " * like.column).join(f"- {item}" for item in items)
    return "[" + ", ".join(items) + "]"


def yaml_insert_after(member: Member, key: str, value_text: str, text: str) -> Replacement:
    """Insert ``key: value`` after ``member``: a new line in a block mapping, after a comma in a flow one."""
    if member.inline:
        return Replacement(member.after, member.after, f", {key}: {value_text}")
    end = text.find("\n", member.after)
    end = len(text) if end < 0 else end
    if text.endswith("\r", 0, end):
        end -= 1
    newline = newline_of(text)
    return Replacement(end, end, f"{newline}{member.indent}{key}: {value_text}")
