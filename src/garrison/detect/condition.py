"""Sigma ``condition`` expressions: a tokenizer and a recursive-descent parser to a small tree.

Grammar (lowest precedence first)::

    expr   := and ("or" and)*
    and    := unary ("and" unary)*
    unary  := "not" unary | "(" expr ")" | quant | IDENT
    quant  := ("1" | "any" | "all") "of" (IDENT-PATTERN | "them")

Identifier patterns may use ``*``; ``them`` means every detection identifier not starting with ``_``.
Aggregations after ``|`` (``| count() > 5``) are the deprecated Sigma 1 form and are refused by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from garrison.errors import RuleError

__all__ = ["And", "Ident", "Node", "Not", "Of", "Or", "parse_condition"]

MAX_CONDITION_LENGTH = 4096
MAX_DEPTH = 64
_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


@dataclass(frozen=True, slots=True)
class Ident:
    name: str


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Of:
    """``1 of pattern`` (``quantifier == "1"``) or ``all of pattern``; ``pattern`` ``them`` means all."""

    quantifier: str
    pattern: str


Node = Ident | Not | And | Or | Of


def _tokens(text: str, where: str) -> list[str]:
    if len(text) > MAX_CONDITION_LENGTH:
        raise RuleError(f"condition longer than {MAX_CONDITION_LENGTH} characters", where=where)
    if "|" in text:
        raise RuleError("aggregation conditions ('| count() ...') are not supported; use a correlation rule",
                        where=where)
    out = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:  # pragma: no cover - the pattern accepts every non-space character
            raise RuleError(f"cannot read condition at {text[pos:]!r}", where=where)
        out.append(match.group(1))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[str], where: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.where = where

    def peek(self) -> str | None:
        return self.tokens[self.pos].lower() if self.pos < len(self.tokens) else None

    def take(self) -> str:
        if self.pos >= len(self.tokens):
            raise RuleError("condition ends too early", where=self.where)
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expr(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise RuleError(f"condition nested deeper than {MAX_DEPTH}", where=self.where)
        children = [self.conj(depth)]
        while self.peek() == "or":
            self.take()
            children.append(self.conj(depth))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def conj(self, depth: int) -> Node:
        children = [self.unary(depth)]
        while self.peek() == "and":
            self.take()
            children.append(self.unary(depth))
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self, depth: int) -> Node:
        word = self.peek()
        if word is None:
            raise RuleError("condition ends too early", where=self.where)
        if word == "not":
            self.take()
            return Not(self.unary(depth + 1))
        if word == "(":
            self.take()
            node = self.expr(depth + 1)
            if self.peek() != ")":
                raise RuleError("missing ')' in condition", where=self.where)
            self.take()
            return node
        if word in ("1", "any", "all") and self.pos + 1 < len(self.tokens) \
                and self.tokens[self.pos + 1].lower() == "of":
            self.take()
            self.take()
            target = self.take()
            return Of("all" if word == "all" else "1", target)
        if word in ("and", "or", ")", "of"):
            raise RuleError(f"unexpected {word!r} in condition", where=self.where)
        return Ident(self.take())


def parse_condition(text: str, *, where: str) -> Node:
    """Parse one condition string. Raises :class:`RuleError` naming ``where`` on any mistake."""
    tokens = _tokens(text, where)
    if not tokens:
        raise RuleError("empty condition", where=where)
    parser = _Parser(tokens, where)
    node = parser.expr(0)
    if parser.pos != len(tokens):
        raise RuleError(f"unexpected {tokens[parser.pos]!r} in condition", where=where)
    return node
