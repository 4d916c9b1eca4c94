"""Operation records as the Activity panel reads them: deadlines by kind, what Cancel does, when a VM is settled."""

from __future__ import annotations

from hvgui.domain.operations import (
    DEFAULT_DEADLINES,
    OperationRecord,
    OperationState,
    PowerOperation,
    ServiceToggleOperation,
    VmTarget,
)
from hvgui.domain.power import PowerAction
from hvgui.domain.vm import Vm, VmState

TARGET = VmTarget(
    host="https://hv01:5986", computer_name="hv01", vm_id="00000000-0000-0000-0000-000000000001", vm_name="dc01"
)


def test_deadlines_come_from_the_mapping_given_and_fall_back_to_the_defaults() -> None:
    shutdown = PowerOperation(TARGET, action=PowerAction.ShutDown)
    assert shutdown.deadline() == DEFAULT_DEADLINES["power:ShutDown"] == 300.0
    assert shutdown.deadline({"power:ShutDown": 5.0}) == 5.0
    assert shutdown.deadline({"service": 1.0}) == 300.0
    assert ServiceToggleOperation(TARGET, ic_guid="x").deadline({"service": 1.0}) == 1.0


def test_cancel_says_what_it_does_in_each_state() -> None:
    record = OperationRecord(PowerOperation(TARGET, action=PowerAction.Save))
    assert record.cancel_effect == "Cancel: it is never sent to the host."
    running = record.advanced(state=OperationState.Running, cancellable=False)
    assert running.cancel_effect == "Stop waiting: hvgui stops its command, but a job the host has started goes on."
    assert running.advanced(state=OperationState.StillRunning).cancel_effect == running.cancel_effect
    assert running.advanced(state=OperationState.Succeeded).cancel_effect is None
    assert running.op_id == record.op_id and running.operation is record.operation


def _vm(state: VmState) -> Vm:
    return Vm(
        host=TARGET.host,
        vm_id=TARGET.vm_id,
        name="dc01",
        state=state,
        heartbeat=None,
        status="Operating normally",
        booted_at=None,
        cpu_usage=0,
        memory_assigned=0,
        generation=2,
        version="10.0",
    )


def test_a_power_operation_is_settled_by_the_state_it_asks_for() -> None:
    save = PowerOperation(TARGET, action=PowerAction.Save)
    assert save.settled(None) is None  # the VM is not in the inventory: an inventory cannot tell
    assert save.settled(_vm(VmState.Saving)) is False
    assert save.settled(_vm(VmState.Saved)) is True
