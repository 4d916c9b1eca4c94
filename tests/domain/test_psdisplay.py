""" "Copy as PowerShell": commands an admin can paste, naming the host and the VM's Id, every value literal."""

from __future__ import annotations

import pytest

from hvgui.domain.power import PowerAction
from hvgui.domain.psdisplay import (
    checkpoint_command,
    escape_wildcards,
    get_vm,
    integration_service_command,
    list_checkpoints_command,
    list_checkpoints_of,
    literal_name,
    power_command,
    quote,
    set_checkpoint_type_command,
)
from hvgui.domain.vm import CheckpointType

#: The demo VM whose name proves that names travel verbatim.
AWKWARD = "qa-'quoted' $(whoami) `tick"


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


def test_literal_name_escapes_then_quotes() -> None:
    assert literal_name(AWKWARD) == "'qa-''quoted'' $(whoami) ``tick'"
    assert literal_name("web[1]") == "'web`[1`]'"


def test_integration_service_commands() -> None:
    assert (
        integration_service_command("dc01", "Time Synchronization", enable=True)
        == "Enable-VMIntegrationService -VMName 'dc01' -Name 'Time Synchronization'"
    )
    assert (
        integration_service_command("dc01", "Zeitsynchronisierung", enable=False)
        == "Disable-VMIntegrationService -VMName 'dc01' -Name 'Zeitsynchronisierung'"
    )
    assert (
        integration_service_command("O'Brien's VM", "Austausch von Schlüsselwertepaaren", enable=True)
        == "Enable-VMIntegrationService -VMName 'O''Brien''s VM' -Name 'Austausch von Schlüsselwertepaaren'"
    )


def test_one_vm_of_one_host_by_id() -> None:
    vm_id = "6a1b9a8e-0c1f-4f43-9d2b-1f0c5d3e2a10"
    assert get_vm("hv01.lab.test", vm_id) == f"Get-VM -ComputerName 'hv01.lab.test' -Id '{vm_id}'"
    # a host name is a literal too: nothing in it expands
    assert get_vm("$(evil)", vm_id).startswith("Get-VM -ComputerName '$(evil)' -Id")
    assert list_checkpoints_of("hv01", vm_id) == f"Get-VM -ComputerName 'hv01' -Id '{vm_id}' | Get-VMSnapshot"


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (PowerAction.Start, "Start-VM -Name 'x'"),
        (PowerAction.ShutDown, "Stop-VM -Name 'x'"),
        (PowerAction.TurnOff, "Stop-VM -Name 'x' -TurnOff"),
        (PowerAction.Save, "Save-VM -Name 'x'"),
        (PowerAction.Restart, "Restart-VM -Name 'x' -Force"),
    ],
)
def test_power_commands(action: PowerAction, expected: str) -> None:
    assert power_command("x", action) == expected


def test_checkpoint_commands() -> None:
    assert checkpoint_command("sql01") == "Checkpoint-VM -Name 'sql01'"
    # the checkpoint name is not a pattern: brackets stay as they are
    assert checkpoint_command("sql01", "before [patch] it's") == (
        "Checkpoint-VM -Name 'sql01' -SnapshotName 'before [patch] it''s'"
    )
    assert list_checkpoints_command("sql*") == "Get-VMSnapshot -VMName 'sql`*'"
    assert (
        set_checkpoint_type_command("sql01", CheckpointType.ProductionOnly)
        == "Set-VM -Name 'sql01' -CheckpointType ProductionOnly"
    )
