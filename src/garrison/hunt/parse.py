"""The hunting query language → a store filter (:data:`garrison.store.events.Expr`). Pure.

::

    query  := or
    or     := and ("OR" and)*
    and    := unary (["AND"] unary)*          terms side by side are ANDed
    unary  := "NOT" unary | "(" or ")" | term
    term   := NAME (":" | "=" | "~") VALUE   wildcard match / exact / contains
            | NAME (">" | ">=" | "<" | "<=") NUMBER
            | VALUE                          free text over all field values
    VALUE  := bare word | "quoted text"      inside quotes, \\" is a quote; all else is as written

``AND``, ``OR`` and ``NOT`` are keywords only in capitals. A bare word ends at white space or a parenthesis.
Errors are :class:`QuerySyntaxError`, naming the column (from 1) where the problem is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from garrison.errors import UsageError
from garrison.store.events import COMPARISONS, And, Expr, Match, MatchOp, Not, Or, Text, number

__all__ = ["MAX_DEPTH", "MAX_QUERY_LENGTH", "QuerySyntaxError", "parse_query"]

MAX_QUERY_LENGTH = 8192
MAX_DEPTH = 64
_FIELD = re.compile(r"([A-Za-z_@][\w.\-@]*)(>=|<=|[:=~<>])")
_OPS: dict[str, MatchOp] = {":": "like", "=": "equals", "~": "contains", ">": "gt", ">=": "ge", "<": "lt",
                            "<=": "le"}
_KEYWORDS = ("AND", "OR", "NOT")
Kind = Literal["(", ")", "AND", "OR", "NOT", "term", "text", "end"]


class QuerySyntaxError(UsageError):
    """A hunting query does not parse; ``column`` (from 1) points at the problem."""

    def __init__(self, message: str, *, query: str, column: int) -> None:
        pointer = f"\n  {query}\n  {' ' * (column - 1)}^"
        super().__init__(message + pointer, where=f"query column {column}")
        self.column = column
        self.query = query


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Kind
    column: int
    text: str = ""
    name: str = ""
    op: str = ""


class _Lexer:
    def __init__(self, query: str) -> None:
        self.query = query
        self.pos = 0

    def error(self, message: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, query=self.query, column=pos + 1)

    def _quoted(self) -> str:
        start, out = self.pos, []
        self.pos += 1
        while self.pos < len(self.query):
            ch = self.query[self.pos]
            if ch == "\\" and self.query[self.pos + 1:self.pos + 2] == '"':
                out.append('"')
                self.pos += 2
                continue
            if ch == '"':
                self.pos += 1
                return "".join(out)
            out.append(ch)
            self.pos += 1
        raise self.error("unclosed quote", start)

    def _bare(self) -> str:
        start = self.pos
        while self.pos < len(self.query) and not self.query[self.pos].isspace() and self.query[self.pos] not in "()":
            self.pos += 1
        return self.query[start:self.pos]

    def tokens(self) -> list[_Token]:
        out: list[_Token] = []
        text = self.query
        while True:
            while self.pos < len(text) and text[self.pos].isspace():
                self.pos += 1
            if self.pos >= len(text):
                out.append(_Token("end", self.pos + 1))
                return out
            start, ch = self.pos, text[self.pos]
            if ch in "()":
                self.pos += 1
                out.append(_Token("(" if ch == "(" else ")", start + 1))
                continue
            if ch == '"':
                out.append(_Token("text", start + 1, self._quoted()))
                continue
            field = _FIELD.match(text, self.pos)
            if field:
                self.pos = field.end()
                at = self.pos
                if at < len(text) and text[at] == '"':
                    value = self._quoted()
                else:
                    value = self._bare()
                    if not value:
                        raise self.error(f"expected a value after {field.group(0)!r}", at)
                if _OPS[field.group(2)] in COMPARISONS and number(value) is None:
                    raise self.error(f"expected a number after {field.group(0)!r}", at)
                out.append(_Token("term", start + 1, value, field.group(1), field.group(2)))
                continue
            word = self._bare()
            kind: Kind = word if word in _KEYWORDS else "text"  # type: ignore[assignment]
            out.append(_Token(kind, start + 1, word))


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _Lexer(query).tokens()
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def next(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def error(self, message: str, token: _Token) -> QuerySyntaxError:
        return QuerySyntaxError(message, query=self.query, column=token.column)

    def parse(self) -> Expr:
        expr = self.or_(0)
        token = self.peek()
        if token.kind != "end":
            what = "unmatched ')'" if token.kind == ")" else f"unexpected {token.kind}"
            raise self.error(what, token)
        return expr

    def or_(self, depth: int) -> Expr:
        items = [self.and_(depth)]
        while self.peek().kind == "OR":
            self.next()
            items.append(self.and_(depth))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self, depth: int) -> Expr:
        items = [self.unary(depth)]
        while self.peek().kind in ("AND", "NOT", "(", "term", "text"):
            if self.peek().kind == "AND":
                self.next()
            items.append(self.unary(depth))
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self, depth: int) -> Expr:
        token = self.next()
        if depth > MAX_DEPTH:
            raise self.error(f"nested deeper than {MAX_DEPTH}", token)
        if token.kind == "NOT":
            return Not(self.unary(depth + 1))
        if token.kind == "(":
            inner = self.or_(depth + 1)
            close = self.next()
            if close.kind != ")":
                raise self.error(f"expected ')' to close the '(' at column {token.column}", close)
            return inner
        if token.kind == "term":
            return Match(token.name, _OPS[token.op], token.text)
        if token.kind == "text":
            if not token.text:
                raise self.error("empty quoted text", token)
            return Text(token.text)
        if token.kind == "end":
            before = self.tokens[self.i - 2].kind if self.i >= 2 else None
            raise self.error(f"expected a term after {before}" if before in _KEYWORDS else "expected a term",
                             token)
        raise self.error(f"expected a term, found {token.kind if token.kind != ')' else repr(')')}", token)


def parse_query(query: str) -> Expr:
    """Parse a hunting query (grammar in the module docstring)."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(f"query longer than {MAX_QUERY_LENGTH} characters", query=query[:40] + "…",
                               column=1)
    if not query.strip():
        raise QuerySyntaxError("empty query", query=query, column=1)
    return _Parser(query).parse()
