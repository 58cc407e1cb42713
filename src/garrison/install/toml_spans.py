"""TOML → span tree, and TOML text for new values. Pure.

Tables opened by ``[a.b]`` headers, dotted keys and inline tables all become ``object`` nodes, so a server
entry is found the same way whichever layout the user chose. A member's ``after`` is the end of its line
(after any comment) for table layouts, the end of its value inside an inline table.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence

from garrison.errors import ConfigParseError
from garrison.install.spans import MAX_NESTING, Member, Node, Replacement, line_of, newline_of

__all__ = ["parse_toml_spans", "toml_insert_after", "toml_list", "toml_string"]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_STOP = frozenset(",]}#\r\n")


class _Reader:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.pos = 1 if text.startswith("\ufeff") else 0

    def fail(self, message: str) -> ConfigParseError:
        return ConfigParseError(f"cannot locate values: {message}", path=self.path,
                                line=line_of(self.text, self.pos))

    def at(self, s: str) -> bool:
        return self.text.startswith(s, self.pos)

    def blank(self, *, newlines: bool) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            if ch in " \t" or (newlines and ch in "\r\n"):
                self.pos += 1
            elif ch == "#" and newlines:
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end
            else:
                return

    def line_end(self) -> int:
        """Skip blanks and a comment to the end of the line; return that position (before the newline)."""
        self.blank(newlines=False)
        if self.at("#"):
            end = self.text.find("\n", self.pos)
            self.pos = len(self.text) if end < 0 else end
        if self.pos < len(self.text) and not self.at("\n") and not self.at("\r\n"):
            raise self.fail("expected the end of the line")
        return self.pos - 1 if self.text.endswith("\r", 0, self.pos) else self.pos

    def key(self) -> list[tuple[str, int]]:
        """A dotted key: ``[(segment, start), ...]``."""
        parts: list[tuple[str, int]] = []
        while True:
            self.blank(newlines=False)
            start = self.pos
            if self.at('"') or self.at("'"):
                self.pos = self.quoted_end(self.text[start])
                raw = self.text[start:self.pos]
                try:
                    parts.append((str(tomllib.loads(f"k = {raw}")["k"]), start))
                except tomllib.TOMLDecodeError:
                    raise self.fail("invalid quoted key") from None
            else:
                match = _BARE.match(self.text, self.pos)
                if match is None:
                    raise self.fail("expected a key")
                self.pos = match.end()
                parts.append((match.group(), start))
            self.blank(newlines=False)
            if not self.at("."):
                return parts
            self.pos += 1

    def quoted_end(self, quote: str) -> int:
        text, n = self.text, len(self.text)
        if text.startswith(quote * 3, self.pos):
            i = self.pos + 3
            while i < n:
                if quote == '"' and text[i] == "\\":
                    i += 2
                elif text.startswith(quote * 3, i):
                    end = i + 3
                    while end < n and text[end] == quote and end - i < 5:
                        end += 1
                    return end
                else:
                    i += 1
            raise self.fail("unterminated multi-line string")
        i = self.pos + 1
        while i < n and text[i] != "\n":
            if quote == '"' and text[i] == "\\":
                i += 2
            elif text[i] == quote:
                return i + 1
            else:
                i += 1
        raise self.fail("unterminated string")

    def value(self, depth: int) -> Node:
        if depth > MAX_NESTING:
            raise self.fail(f"nested deeper than {MAX_NESTING}")
        start = self.pos
        if self.at('"') or self.at("'"):
            self.pos = self.quoted_end(self.text[start])
            return Node("scalar", start, self.pos)
        if self.at("["):
            node = Node("array", start, -1)
            self.pos += 1
            while True:
                self.blank(newlines=True)
                if self.at("]"):
                    self.pos += 1
                    node.end = self.pos
                    return node
                node.items.append(self.value(depth + 1))
                self.blank(newlines=True)
                if self.at(","):
                    self.pos += 1
                elif not self.at("]"):
                    raise self.fail("expected ',' or ']'")
        if self.at("{"):
            node = Node("object", start, -1, style="inline")
            self.pos += 1
            while True:
                self.blank(newlines=True)
                if self.at("}"):
                    self.pos += 1
                    node.end = self.pos
                    return node
                self.key_value(node, depth + 1, inline=True)
                self.blank(newlines=True)
                if self.at(","):
                    self.pos += 1
                elif not self.at("}"):
                    raise self.fail("expected ',' or '}'")
        while self.pos < len(self.text) and self.text[self.pos] not in _SCALAR_STOP:
            self.pos += 1
        end = self.pos
        while end > start and self.text[end - 1] in " \t":
            end -= 1
        if end == start:
            raise self.fail("expected a value")
        self.pos = end
        return Node("scalar", start, end)

    def key_value(self, table: Node, depth: int, *, inline: bool) -> None:
        line_start = self.text.rfind("\n", 0, self.pos) + 1
        parts = self.key()
        if not self.at("="):
            raise self.fail("expected '='")
        self.pos += 1
        self.blank(newlines=False)
        value = self.value(depth)
        owner = _descend(table, parts[:-1], style="inline" if inline else "table")
        key, seg_start = parts[-1]
        after = value.end if inline else self.line_end()
        indent = self.text[line_start:parts[0][1]]
        owner.members.append(Member(key, parts[0][1], value, after=after, key_end=value.start,
                                    prefix=self.text[parts[0][1]:seg_start], indent=indent, inline=inline))


def _descend(node: Node, parts: Sequence[tuple[str, int]], *, style: str) -> Node:
    for key, start in parts:
        member = node.member(key)
        if member is None:
            child = Node("object", -1, -1, style=style)
            node.members.append(Member(key, start, child, after=-1))
            node = child
        elif member.value.kind == "array" and member.value.items and member.value.style == "tables":
            node = member.value.items[-1]
        else:
            node = member.value
    return node


def parse_toml_spans(text: str, *, path: str) -> Node:
    """The span tree of a TOML document; ``ConfigParseError`` (with line) when it cannot be read."""
    reader = _Reader(text, path)
    root = Node("object", 0, len(text), style="table")
    table = root
    while True:
        reader.blank(newlines=True)
        if reader.pos >= len(text):
            return root
        if reader.at("[["):
            reader.pos += 2
            parts = reader.key()
            if not reader.at("]]"):
                raise reader.fail("expected ']]'")
            reader.pos += 2
            reader.line_end()
            parent = _descend(root, parts[:-1], style="table")
            member = parent.member(parts[-1][0])
            if member is None:
                member = Member(parts[-1][0], parts[-1][1], Node("array", -1, -1, style="tables"), after=-1)
                parent.members.append(member)
            table = Node("object", -1, -1, style="table")
            member.value.items.append(table)
        elif reader.at("["):
            reader.pos += 1
            parts = reader.key()
            if not reader.at("]"):
                raise reader.fail("expected ']'")
            reader.pos += 1
            reader.line_end()
            table = _descend(root, parts, style="table")
        else:
            reader.key_value(table, 1, inline=False)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(value: str) -> str:
    """A TOML basic string."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_list(values: Sequence[str], *, like: Node | None, text: str) -> str:
    """A TOML array of strings, one item per line when ``like`` (the array it replaces) was laid out so."""
    items = [toml_string(v) for v in values]
    if like is not None and like.kind == "array" and like.items and "\n" in text[like.start:like.items[0].start]:
        first = like.items[0].start
        item_indent = text[text.rfind("\n", 0, first) + 1:first]
        close_line = text.rfind("\n", 0, like.end - 1) + 1
        close_indent = text[close_line:like.end - 1]
        if item_indent.strip(" \t") or close_indent.strip(" \t"):
            return "[" + ", ".join(items) + "]"
        newline = newline_of(text)
        return "[" + newline + item_indent + ("," + newline + item_indent).join(items) + "," + newline \
            + close_indent + "]"
    return "[" + ", ".join(items) + "]"


def toml_insert_after(member: Member, key: str, value_text: str, text: str) -> Replacement:
    """Insert ``key = value`` after ``member``: on a new line in a table, after a comma in an inline table."""
    if member.inline:
        return Replacement(member.after, member.after, f", {key} = {value_text}")
    newline = newline_of(text)
    return Replacement(member.after, member.after, f"{newline}{member.indent}{member.prefix}{key} = {value_text}")
