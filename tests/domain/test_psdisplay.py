""" "Copy as PowerShell": commands an admin can paste, naming the host and the VM's Id, every value literal."""

from __future__ import annotations

import pytest

from hvgui.domain.psdisplay import (
    comment,
    escape_wildcards,
    get_vm,
    list_checkpoints_of,
    quote,
)


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("dc01", "'dc01'"),
        ("O'Brien", "'O''Brien'"),
        ("$(whoami) `n $env:PATH", "'$(whoami) `n $env:PATH'"),  # single quotes never expand anything
        ("it\u2019s", "'it\u2019\u2019s'"),  # PowerShell also ends a string at a typographic quote
        ("\u2018a\u201a\u201b", "'\u2018\u2018a\u201a\u201a\u201b\u201b'"),
        ("", "''"),
        ("line1\nline2", "'line1\nline2'"),
    ],
)
def test_quote(value: str, literal: str) -> None:
    assert quote(value) == literal


def test_escape_wildcards() -> None:
    assert escape_wildcards("web[01]*?") == "web`[01`]`*`?"
    assert escape_wildcards("a`b") == "a``b"
    assert escape_wildcards("Büro-PC-01") == "Büro-PC-01"


def test_one_vm_of_one_host_by_id() -> None:
    vm_id = "6a1b9a8e-0c1f-4f43-9d2b-1f0c5d3e2a10"
    assert get_vm("hv01.lab.test", vm_id) == f"Get-VM -ComputerName 'hv01.lab.test' -Id '{vm_id}'"
    # a host name is a literal too: nothing in it expands
    assert get_vm("$(evil)", vm_id).startswith("Get-VM -ComputerName '$(evil)' -Id")
    assert list_checkpoints_of("hv01", vm_id) == f"Get-VM -ComputerName 'hv01' -Id '{vm_id}' | Get-VMSnapshot"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("hv01.lab.test", "# hv01.lab.test"),
        ("hv01\nStop-VM -Name *", "# hv01\u240aStop-VM -Name *"),  # a line break can never start a command
        ("hv01\r\nx", "# hv01\u240d\u240ax"),
        ("a\u2028b\u0085c", "# a\ufffdb\ufffdc"),  # Unicode line and next-line separators too
        ("Ångström-Büro", "# Ångström-Büro"),
    ],
)
def test_a_comment_is_always_one_line(text: str, shown: str) -> None:
    assert comment(text) == shown
    assert len(comment(text).splitlines()) == 1
