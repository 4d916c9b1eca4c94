"""Decode a large JSON document piece by piece, so the interpreter can switch threads in between.

`json.loads` is one C call: on a 1,000-VM inventory (about a megabyte) it keeps the GIL for tens of
milliseconds, and the Qt thread, which needs the GIL to paint, waits that long. `loads_in_pieces` reads the
same document with one `raw_decode` per array element and per object value instead: the same C decoder,
the same result, the same errors, but each call is short, and the interpreter hands the GIL over between
calls when another thread asks for it.
"""

from __future__ import annotations

import json
from typing import Any

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def loads_in_pieces(text: str) -> Any:
    """`json.loads(text)`, read in pieces: the document's members and the elements of its arrays and objects
    (two levels: an inventory's VM list, then each VM) are decoded one C call each."""
    if not isinstance(text, str):
        raise TypeError(f"the JSON text must be str, not {type(text).__name__}")
    value, end = _value(text, _skip(text, 0), depth=2)
    end = _skip(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index


def _value(text: str, index: int, depth: int) -> tuple[Any, int]:
    if depth > 0 and index < len(text):
        if text[index] == "[":
            return _array(text, index + 1, depth - 1)
        if text[index] == "{":
            return _object(text, index + 1, depth - 1)
    return _DECODER.raw_decode(text, index)


def _array(text: str, index: int, depth: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    index = _skip(text, index)
    if index < len(text) and text[index] == "]":
        return items, index + 1
    while True:
        item, index = _value(text, _skip(text, index), depth)
        items.append(item)
        index = _skip(text, index)
        if index < len(text) and text[index] == ",":
            index += 1
        elif index < len(text) and text[index] == "]":
            return items, index + 1
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)


def _object(text: str, index: int, depth: int) -> tuple[dict[str, Any], int]:
    members: dict[str, Any] = {}
    index = _skip(text, index)
    if index < len(text) and text[index] == "}":
        return members, index + 1
    while True:
        index = _skip(text, index)
        if index >= len(text) or text[index] != '"':
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, index)
        key, index = _DECODER.raw_decode(text, index)
        index = _skip(text, index)
        if index >= len(text) or text[index] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", text, index)
        value, index = _value(text, _skip(text, index + 1), depth)
        members[key] = value
        index = _skip(text, index)
        if index < len(text) and text[index] == ",":
            index += 1
        elif index < len(text) and text[index] == "}":
            return members, index + 1
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
