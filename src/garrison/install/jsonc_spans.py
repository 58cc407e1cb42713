"""JSON and JSON-with-comments → span tree, and JSON text for new values. Pure.

The reader accepts what discovery's JSONC reader accepts (``//`` and ``/* */`` comments, trailing commas, a
leading byte-order mark) and records positions in the original text, so an edit touches only the characters
of the values it replaces.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from garrison.errors import ConfigParseError
from garrison.install.spans import MAX_NESTING, Member, Node, Replacement, line_of, newline_of

__all__ = ["json_insert_after", "json_list", "json_string", "parse_json_spans"]

_DELIMITERS = frozenset(",]}/ \t\r\n")


class _Reader:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.pos = 1 if text.startswith("\ufeff") else 0

    def fail(self, message: str) -> ConfigParseError:
        return ConfigParseError(f"cannot locate values: {message}", path=self.path,
                                line=line_of(self.text, self.pos))

    def skip(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            if ch in " \t\r\n":
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("unterminated comment")
                self.pos = end + 2
            else:
                return

    def string_end(self) -> int:
        text, i, n = self.text, self.pos + 1, len(self.text)
        while i < n:
            ch = text[i]
            if ch == "\\":
                i += 2
            elif ch == '"':
                return i + 1
            elif ch == "\n":
                break
            else:
                i += 1
        raise self.fail("unterminated string")

    def value(self, depth: int) -> Node:
        if depth > MAX_NESTING:
            raise self.fail(f"nested deeper than {MAX_NESTING}")
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of text")
        ch = self.text[self.pos]
        if ch == "{":
            return self.obj(depth)
        if ch == "[":
            return self.arr(depth)
        start = self.pos
        if ch == '"':
            self.pos = self.string_end()
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in _DELIMITERS:
                self.pos += 1
            if self.pos == start:
                raise self.fail(f"unexpected {ch!r}")
        return Node("scalar", start, self.pos)

    def obj(self, depth: int) -> Node:
        node = Node("object", self.pos, -1)
        self.pos += 1
        while True:
            self.skip()
            if self.text.startswith("}", self.pos):
                self.pos += 1
                node.end = self.pos
                return node
            if not self.text.startswith('"', self.pos):
                raise self.fail("expected a string key")
            key_start = self.pos
            self.pos = self.string_end()
            key_end = self.pos
            try:
                key = json.loads(self.text[key_start:key_end])
            except ValueError:
                raise self.fail("invalid key") from None
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected ':'")
            self.pos += 1
            value = self.value(depth + 1)
            node.members.append(Member(str(key), key_start, value, after=value.end, key_end=key_end,
                                       inline=True))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("}", self.pos):
                raise self.fail("expected ',' or '}'")

    def arr(self, depth: int) -> Node:
        node = Node("array", self.pos, -1)
        self.pos += 1
        while True:
            self.skip()
            if self.text.startswith("]", self.pos):
                self.pos += 1
                node.end = self.pos
                return node
            node.items.append(self.value(depth + 1))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("]", self.pos):
                raise self.fail("expected ',' or ']'")


def parse_json_spans(text: str, *, path: str) -> Node:
    """The span tree of a JSON or JSONC document; ``ConfigParseError`` (with line) when it cannot be read."""
    reader = _Reader(text, path)
    root = reader.value(0)
    reader.skip()
    if reader.pos != len(text):
        raise reader.fail("text after the document")
    return root


def json_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _line_indent(text: str, index: int) -> str:
    start = text.rfind("\n", 0, index) + 1
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def json_list(values: Sequence[str], *, like: Node | None, text: str) -> str:
    """A JSON array of strings, laid out one item per line when ``like`` (the array it replaces) was."""
    items = [json_string(v) for v in values]
    if like is not None and like.kind == "array" and like.items and "\n" in text[like.start:like.items[0].start]:
        item_indent = _line_indent(text, like.items[0].start)
        close_indent = _line_indent(text, like.end - 1)
        newline = newline_of(text)
        joined = ("," + newline + item_indent).join(items)
        return "[" + newline + item_indent + joined + newline + close_indent + "]"
    return "[" + ", ".join(items) + "]"


def json_insert_after(member: Member, key: str, value_text: str, text: str) -> Replacement:
    """Insert ``"key": value`` as the next member after ``member`` (on the same line)."""
    return Replacement(member.after, member.after, f", {json_string(key)}: {value_text}")
