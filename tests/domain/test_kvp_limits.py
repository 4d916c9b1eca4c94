"""KVP limits, edits and conflicts (pure rules)."""

from __future__ import annotations

from hvgui.domain.kvp import (
    ChangeKind,
    KvpChange,
    Pool,
    changes_between,
    check_pair,
    check_pairs,
    conflicts,
    rebase,
    utf16_units,
    vm_kvp_from_json,
)


def test_exactly_at_the_limits_passes_and_one_more_is_refused_with_the_limit_and_the_key() -> None:
    assert check_pair("k" * 255, "v" * 1023) == []
    assert check_pair("k" * 254 + "é", "😀" * 511 + "v") == []  # an emoji is two UTF-16 units
    [key] = check_pair("k" * 256, "")
    assert "256 UTF-16 characters" in key and "at most 255" in key and "'kkkk" in key
    [value] = check_pair("Owner", "😀" * 512)
    assert "'Owner'" in value and "1024" in value and "at most 1,023" in value
    assert check_pair("Owner", "v" * 8191, host_only=True) == []
    [host_only] = check_pair("Owner", "v" * 8192, host_only=True)
    assert "8,191" in host_only and "16 KB" in host_only


def test_nul_and_other_controls_are_refused_but_line_breaks_and_tabs_pass() -> None:
    assert check_pair("a", "x\r\ny\tz\n") == []
    [nul] = check_pair("a", "x\0y")
    assert "NUL" in nul and "'a'" in nul
    [bell] = check_pair("b\x07", "")
    assert "control character" in bell and "b␇" in bell
    assert check_pair("", "x") == ["A key must not be empty."]


def test_keys_must_be_unique_even_across_case() -> None:
    problems = check_pairs([("Owner", "a"), ("Role", "b"), ("Owner", "c"), ("owner", "d")])
    assert [p.key for p in problems] == ["Owner", "owner"]
    assert "twice" in problems[0].message and "differ only in case" in problems[1].message
    assert check_pairs([("a", "1"), ("b", "2")]) == []
    assert check_pairs([(f"k{i}", "") for i in range(129)], host_only=True)[-1].message.startswith(
        "A VM holds at most 128"
    )
    assert utf16_units("😀a") == 3


def test_changes_conflicts_and_rebase() -> None:
    loaded = {"a": "1", "b": "2", "c": "3"}
    changes = changes_between(loaded, [("a", "1"), ("b", "two"), ("d", "4")])
    assert changes == [
        KvpChange(ChangeKind.Remove, "c", "", "3"),
        KvpChange(ChangeKind.Modify, "b", "two", "2"),
        KvpChange(ChangeKind.Add, "d", "4", None),
    ]
    assert conflicts(loaded, loaded, changes) == []
    on_host = {"a": "changed", "b": "22", "d": "host"}  # c removed, b changed, d added on the host meanwhile
    found = conflicts(loaded, on_host, changes)
    assert [(c.key, c.loaded, c.on_host, c.mine) for c in found] == [
        ("c", "3", None, None),
        ("b", "2", "22", "two"),
        ("d", None, "host", "4"),
    ]
    assert [(c.kind, c.key) for c in rebase(changes, on_host)] == [
        (ChangeKind.Modify, "b"),
        (ChangeKind.Modify, "d"),
    ]


def test_pools_from_the_host_modules_json_and_what_the_summary_shows() -> None:
    row = {
        "id": "ABC", "name": "dc01", "state": 2, "on": True, "p": 2, "pt": "OK",
        "intrinsic": [{"n": "FullyQualifiedDomainName", "d": "dc01.lab"}, {"n": "OSName", "d": "Windows"},
                      {"n": "OSVersion", "d": "10.0"}, {"n": "NetworkAddressIPv4", "d": "10.0.0.1;10.0.0.2"},
                      {"n": "NetworkAddressIPv6", "d": "fe80::1"}],
        "guest": [], "host": [{"n": "k", "d": "v\n"}], "hostOnly": [], "bad": 0,
    }  # fmt: skip
    vm = vm_kvp_from_json(row)
    assert vm.vm_id == "abc" and vm.fqdn == "dc01.lab" and vm.os_description == "Windows 10.0"
    assert vm.ip_addresses == ("10.0.0.1", "10.0.0.2", "fe80::1")
    assert vm.pool(Pool.HostToGuest)[0].value == "v\n" and vm.unavailable_reason() is None
    off = vm_kvp_from_json({**row, "state": 3, "intrinsic": None, "guest": None, "p": None})
    assert "not running" in off.unavailable_reason()
    disabled = vm_kvp_from_json({**row, "on": False})
    assert "disabled" in disabled.unavailable_reason()
    no_contact = vm_kvp_from_json({**row, "p": 12, "intrinsic": []})
    assert "hv_kvp_daemon" in no_contact.unavailable_reason()
