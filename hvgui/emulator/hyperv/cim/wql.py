"""The WQL `WHERE` clause of `Get-CimInstance -Filter`, the subset scripts use against Hyper-V.

`property = literal`, `<>` (and `!=`), `AND`, `OR`, `NOT` and parentheses; literals are strings in single or
double quotes (a backslash escapes a backslash or a quote) and integers (`TRUE`/`FALSE` for booleans).
String comparison ignores case, as WMI's does. A property compared with anything while it is null matches
nothing. Anything else (an unknown property, a syntax error, `LIKE`) is `InvalidQuery`, which the cmdlet
reports as a host does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .schema import CimClass

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(?P<number>-?\d+)|(?P<op><>|!=|=)|(?P<paren>[()])|(?P<word>[A-Za-z_]\w*))"
)


def _unescape(body: str) -> str:
    """A string literal's text: WQL escapes a backslash or a quote with a backslash (`'Microsoft:X\\Y'`)."""
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            following = body[index + 1 : index + 2]
            if following not in ("\\", "'", '"'):
                raise InvalidQuery(body)
            out.append(following)
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


class InvalidQuery(ValueError):
    """The filter is not a WQL condition this class can evaluate."""


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise InvalidQuery(text)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, cim_class: CimClass) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.cim_class = cim_class

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise InvalidQuery("unexpected end")
        self.index += 1
        return token

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        if token is not None and token[0] == "word" and token[1].upper() == word:
            self.index += 1
            return True
        return False

    def parse(self) -> Predicate:
        predicate = self._or()
        if self._peek() is not None:
            raise InvalidQuery("trailing text")
        return predicate

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._keyword("OR"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def _and(self) -> Predicate:
        parts = [self._not()]
        while self._keyword("AND"):
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def _not(self) -> Predicate:
        if self._keyword("NOT"):
            inner = self._not()
            return lambda row: not inner(row)
        token = self._peek()
        if token == ("paren", "("):
            self.index += 1
            inner = self._or()
            if self._take() != ("paren", ")"):
                raise InvalidQuery("missing )")
            return inner
        return self._comparison()

    def _comparison(self) -> Predicate:
        kind, word = self._take()
        name = self.cim_class.canonical(word) if kind == "word" else None
        if name is None:
            raise InvalidQuery(word)
        kind, op = self._take()
        if kind != "op":
            raise InvalidQuery(op)
        literal = self._literal()
        equal = op == "="

        def compare(row: dict[str, Any]) -> bool:
            value = row.get(name)
            if value is None or isinstance(value, list):
                return False
            return _equals(value, literal) == equal

        return compare

    def _literal(self) -> Any:
        kind, text = self._take()
        if kind == "string":
            return _unescape(text[1:-1])
        if kind == "number":
            return int(text)
        if kind == "word" and text.upper() in ("TRUE", "FALSE"):
            return text.upper() == "TRUE"
        raise InvalidQuery(text)


def _equals(value: Any, literal: Any) -> bool:
    if isinstance(value, str) and isinstance(literal, str):
        return value.casefold() == literal.casefold()
    if isinstance(value, bool) or isinstance(literal, bool):
        return bool(value) == bool(literal)
    if isinstance(value, int) and isinstance(literal, int):
        return value == literal
    if isinstance(value, int) and isinstance(literal, str) and literal.strip().lstrip("-").isdigit():
        return value == int(literal)  # WMI converts a quoted number for an integer property
    return str(value).casefold() == str(literal).casefold()


def compile_filter(text: str, cim_class: CimClass) -> Predicate:
    """A predicate over an instance's property values, or InvalidQuery."""
    if not text.strip():
        raise InvalidQuery(text)
    return _Parser(text, cim_class).parse()
