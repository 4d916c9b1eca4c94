""" "Copy as PowerShell": commands an admin can paste, with every name taken literally."""

from __future__ import annotations

import pytest

from hvgui.domain.integration import TIME_SYNC
from hvgui.domain.power import PowerAction
from hvgui.domain.psdisplay import (
    checkpoint_command,
    escape_wildcards,
    integration_service_command,
    integration_service_command_by_id,
    list_checkpoints_command,
    literal_name,
    power_command,
    power_commands,
    quote,
    set_checkpoint_type_command,
    with_host_comment,
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


def test_integration_service_command_by_id_works_in_any_language() -> None:
    assert integration_service_command_by_id("dc01", (TIME_SYNC.ic_guid or "").lower(), enable=False) == (
        "Get-VMIntegrationService -VMName 'dc01' | "
        "Where-Object { $_.Id -like '*\\2497F4DE-E9FA-4204-80E4-4B75C46419C0' } | Disable-VMIntegrationService"
    )


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


def test_power_commands_for_many_vms_one_per_line() -> None:
    assert power_commands(["a", AWKWARD], PowerAction.TurnOff) == (
        "Stop-VM -Name 'a' -TurnOff\nStop-VM -Name 'qa-''quoted'' $(whoami) ``tick' -TurnOff"
    )


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


def test_host_comment() -> None:
    assert with_host_comment("HV-DEMO-01", "Start-VM -Name 'a'") == "# on HV-DEMO-01\nStart-VM -Name 'a'"
