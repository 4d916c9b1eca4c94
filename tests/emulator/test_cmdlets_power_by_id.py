"""The power actions exactly as hvgui sends them (the VM selected by id through the pipeline),
in every state: what changes, which warning, which error."""

from __future__ import annotations

import pytest
from model_harness import Harness, cmd, one_host

from hvgui.emulator.hyperv.reference import VmState

ALREADY = "The virtual machine is already in the specified state."
INVALID = "The operation cannot be performed while the virtual machine is in its current state."
NON_INTERACTIVE = "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available."

ACTIONS = {
    "start": cmd("Start-VM"),
    "shut down": cmd("Stop-VM", Confirm=False),
    "turn off": cmd("Stop-VM", TurnOff=True),
    "save": cmd("Save-VM"),
    "restart": cmd("Restart-VM", Force=True),
}


@pytest.mark.parametrize(
    ("state", "action", "after", "warning", "error"),
    [
        ("Running", "start", VmState.Running, ALREADY, None),
        ("Off", "start", VmState.Starting, None, None),
        ("Saved", "start", VmState.Starting, None, None),
        ("Paused", "start", VmState.Resuming, None, None),
        ("Running", "shut down", VmState.Stopping, None, None),
        ("Off", "shut down", VmState.Off, ALREADY, None),
        ("Saved", "shut down", VmState.Saved, None, NON_INTERACTIVE),  # no running guest to ask
        ("Running", "turn off", VmState.Off, None, None),
        ("Off", "turn off", VmState.Off, ALREADY, None),
        ("Saved", "turn off", VmState.Off, None, None),
        ("Paused", "turn off", VmState.Off, None, None),
        ("Running", "save", VmState.Saving, None, None),
        ("Saved", "save", VmState.Saved, ALREADY, None),
        ("Off", "save", VmState.Off, None, INVALID),
        ("Paused", "save", VmState.Saving, None, None),
        ("Running", "restart", VmState.Reset, None, None),
        ("Off", "restart", VmState.Off, None, INVALID),
        ("Saved", "restart", VmState.Saved, None, INVALID),
    ],
)
def test_power_action_by_id(state: str, action: str, after: VmState, warning: str | None, error: str | None) -> None:
    h = Harness(one_host({"name": "vm1", "state": state, "uptime": 3600}))
    vm = h.vm("vm1")
    sink = h.run(cmd("Get-VM", Id=vm.id), ACTIONS[action])
    assert sink.output == []
    assert sink.warnings == ([warning] if warning else [])
    assert [e.message for e in sink.errors] == ([error] if error else [])
    assert vm.state(h.now()) is after


def test_a_vm_that_is_gone_is_get_vms_error_and_nothing_else() -> None:
    h = Harness(one_host({"name": "vm1", "state": "Running", "uptime": 60}))
    vm = h.vm("vm1")
    h.model.vms.remove(vm)
    for command in ACTIONS.values():
        sink = h.run(cmd("Get-VM", Id=vm.id), command)
        assert [e.fully_qualified_error_id for e in sink.errors] == [
            "ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVM"
        ]
