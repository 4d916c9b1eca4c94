"""Reading JSON in pieces gives exactly what `json.loads` gives, and fails where it fails."""

from __future__ import annotations

import json

import pytest

from hvgui.remoting.json_pieces import loads_in_pieces

DOCUMENTS = [
    '{"v":3,"host":"HV01","vms":[{"id":"a","ic":[{"id":"x","on":true}]},{"id":"b","ic":[]}]}',
    ' { "vms" : [ ] , "v" : 1 } ',
    '{"vms":[1,"two",null,false,3.5,{"nested":{"deeper":[1,[2,[3]]]}}]}',
    '{"name":"qa-\\u0027quoted\\u0027 $(whoami) `tick \\n\\u00fc\\ud83d\\ude00","empty":{},"list":[[]]}',
    "[1, 2, 3]",
    '"just a string"',
    "42",
    "null",
    "{}",
    '{"a":1,"a":2}',
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_the_same_value_as_json_loads(text: str) -> None:
    assert loads_in_pieces(text) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "not json",
        '{"vms":[1,2}',
        '{"vms":[1 2]}',
        '{"vms":[1,]}',
        '{"v":1 "host":2}',
        '{"v" 1}',
        "{v:1}",
        '{"vms":[]',
        '{"vms":[]}}',
        '{"vms":[]} trailing',
        "[1,2",
    ],
)
def test_fails_where_json_loads_fails(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    with pytest.raises(json.JSONDecodeError):
        loads_in_pieces(text)


def test_a_large_inventory_reads_the_same() -> None:
    vms = [{"id": f"{i:08d}", "name": f"vm-{i}", "ic": [{"id": "G", "p": 2, "pt": "OK"}] * 6} for i in range(500)]
    text = json.dumps({"v": 3, "host": "HV", "vms": vms}, separators=(",", ":"))
    assert loads_in_pieces(text) == json.loads(text)


def test_only_text_is_read() -> None:
    with pytest.raises(TypeError):
        loads_in_pieces(None)  # type: ignore[arg-type]
