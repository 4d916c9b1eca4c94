"""Typed operations as an admin reads them: their questions, their PowerShell, a script grouped per host."""

from __future__ import annotations

import pytest

from hvgui.domain import psdisplay
from hvgui.domain.bulk import confirm_text as services_confirm_text
from hvgui.domain.bulk import planned_change
from hvgui.domain.integration import HEARTBEAT, SHUTDOWN, TIME_SYNC
from hvgui.domain.operations import (
    CheckpointCreateOperation,
    CheckpointTypeOperation,
    Operation,
    PowerOperation,
    ServiceToggleOperation,
    VmTarget,
    powershell_script,
)
from hvgui.domain.power import PowerAction, confirm_text
from hvgui.domain.vm import CheckpointType, Vm, VmState

VM_ID = "6a1b9a8e-0c1f-4f43-9d2b-1f0c5d3e2a10"
HV01 = VmTarget(host="https://hv01.lab.test:5986", computer_name="hv01.lab.test", vm_id=VM_ID, vm_name="dc01")
GET_VM = f"Get-VM -ComputerName 'hv01.lab.test' -Id '{VM_ID}'"


def _on(host: str, computer_name: str, vm_id: str = VM_ID, vm_name: str = "web01") -> VmTarget:
    return VmTarget(host=host, computer_name=computer_name, vm_id=vm_id, vm_name=vm_name)


# ---- questions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(PowerAction))
def test_a_power_operation_asks_the_domains_question(action: PowerAction) -> None:
    assert PowerOperation(HV01, action).confirmation() == confirm_text(action, ["dc01"])


def test_shut_down_asks_and_start_does_not() -> None:
    question = PowerOperation(HV01, PowerAction.ShutDown).confirmation()
    assert question is not None and question.startswith("Shut down 'dc01'?")
    assert PowerOperation(HV01, PowerAction.Start).confirmation() is None


def test_disabling_a_high_impact_service_asks_what_the_services_tab_asks() -> None:
    for guid in (SHUTDOWN.ic_guid, TIME_SYNC.ic_guid):
        assert guid is not None
        operation = ServiceToggleOperation(HV01, ic_guid=guid.lower(), enable=False, service_name="")
        question = operation.confirmation()
        assert question is not None and question.startswith(f"Disable {operation.planned_change().service_name} on")
        assert question == services_confirm_text([operation.planned_change()])
    assert ServiceToggleOperation(HV01, ic_guid=str(SHUTDOWN.ic_guid), enable=True).confirmation() is None
    assert ServiceToggleOperation(HV01, ic_guid=str(HEARTBEAT.ic_guid), enable=False).confirmation() is None


def test_a_toggle_made_from_a_planned_change_asks_the_plans_question() -> None:
    vm = Vm(
        host=HV01.host,
        vm_id=VM_ID,
        name="dc01",
        state=VmState.Running,
        heartbeat=None,
        status="Operating normally",
        booted_at=None,
        cpu_usage=0,
        memory_assigned=0,
        generation=2,
        version="10.0",
    )
    change = planned_change(vm, str(TIME_SYNC.ic_guid), False)
    operation = ServiceToggleOperation.of_change(change, "hv01.lab.test")
    assert operation.target == HV01
    assert operation.confirmation() == services_confirm_text([change]) is not None


# ---- PowerShell -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "tail"),
    [
        (PowerAction.Start, "Start-VM"),
        (PowerAction.ShutDown, "Stop-VM"),
        (PowerAction.TurnOff, "Stop-VM -TurnOff"),
        (PowerAction.Save, "Save-VM"),
        (PowerAction.Restart, "Restart-VM -Force"),
    ],
)
def test_power_commands_name_the_host_and_the_vm_by_id(action: PowerAction, tail: str) -> None:
    assert PowerOperation(HV01, action).powershell() == f"{GET_VM} | {tail}"


def test_every_pipeline_starts_as_psdisplay_writes_it() -> None:
    operations: list[Operation] = [
        PowerOperation(HV01, PowerAction.Save),
        ServiceToggleOperation(HV01, ic_guid=str(TIME_SYNC.ic_guid), enable=True),
        CheckpointTypeOperation(HV01, checkpoint_type=CheckpointType.ProductionOnly),
        CheckpointCreateOperation(HV01, name="before [patch] it's"),
    ]
    for operation in operations:
        assert operation.powershell().startswith(psdisplay.get_vm(HV01.computer_name, HV01.vm_id) + " | ")
    assert operations[2].powershell().endswith("| Set-VM -CheckpointType ProductionOnly")
    assert operations[3].powershell().endswith("| Checkpoint-VM -SnapshotName 'before [patch] it''s'")


def test_one_hosts_script_is_its_commands() -> None:
    other_vm = "11111111-2222-3333-4444-555555555555"
    script = powershell_script(
        [
            PowerOperation(HV01, PowerAction.Save),
            PowerOperation(_on(HV01.host, "hv01.lab.test", other_vm), PowerAction.Save),
        ]
    )
    assert script == f"{GET_VM} | Save-VM\nGet-VM -ComputerName 'hv01.lab.test' -Id '{other_vm}' | Save-VM"


def test_two_hosts_on_one_address_are_two_groups_told_apart_by_port() -> None:
    """The demo's hosts all listen on 127.0.0.1: grouping by address would mix their commands in one group."""
    a = _on("http://127.0.0.1:50001", "127.0.0.1", "aaaaaaaa-0000-0000-0000-000000000001")
    b = _on("http://127.0.0.1:50002", "127.0.0.1", "bbbbbbbb-0000-0000-0000-000000000002")
    c = _on("https://hv01.lab.test:5986", "hv01.lab.test", "cccccccc-0000-0000-0000-000000000003")
    script = powershell_script(
        [
            PowerOperation(a, PowerAction.Save),
            PowerOperation(c, PowerAction.Save),
            PowerOperation(b, PowerAction.Start),
            PowerOperation(a, PowerAction.TurnOff),
        ]
    )
    blocks = script.split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == [
        "# 127.0.0.1 (port 50001)",
        "# hv01.lab.test",
        "# 127.0.0.1 (port 50002)",
    ]
    assert blocks[0].splitlines()[1:] == [
        f"Get-VM -ComputerName '127.0.0.1' -Id '{a.vm_id}' | Save-VM",
        f"Get-VM -ComputerName '127.0.0.1' -Id '{a.vm_id}' | Stop-VM -TurnOff",
    ]
    assert blocks[2].splitlines()[1:] == [f"Get-VM -ComputerName '127.0.0.1' -Id '{b.vm_id}' | Start-VM"]


def test_hosts_on_one_address_and_port_are_told_apart_by_their_key() -> None:
    a = _on("http://127.0.0.1:5985", "127.0.0.1")
    b = _on("https://127.0.0.1:5985", "127.0.0.1")
    headings = [
        block.splitlines()[0]
        for block in powershell_script(
            [PowerOperation(a, PowerAction.Start), PowerOperation(b, PowerAction.Start)]
        ).split("\n\n")
    ]
    assert headings == ["# 127.0.0.1 (http://127.0.0.1:5985)", "# 127.0.0.1 (https://127.0.0.1:5985)"]


def test_a_host_name_cannot_break_out_of_its_heading() -> None:
    evil = _on("https://x:5986", "x\nStop-VM -Name *")
    script = powershell_script([PowerOperation(evil, PowerAction.Start), PowerOperation(HV01, PowerAction.Start)])
    heading, command = script.split("\n\n")[0].split("\n", 1)
    assert heading == "# x\u240aStop-VM -Name *"
    # in the command the name is a single-quoted literal: its line break is part of the string
    assert command == "Get-VM -ComputerName 'x\nStop-VM -Name *' -Id '6a1b9a8e-0c1f-4f43-9d2b-1f0c5d3e2a10' | Start-VM"
