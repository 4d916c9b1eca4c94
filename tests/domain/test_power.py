"""Power actions: the host's state table, the graceful-shutdown check and the confirmation texts."""

from __future__ import annotations

import dataclasses

import pytest

from hvgui.domain.integration import SHUTDOWN, TIME_SYNC, ComponentStatus, IntegrationServiceState
from hvgui.domain.power import (
    PowerAction,
    action_available,
    allowed_states,
    available_actions,
    confirm_text,
    describe_state,
    done_text,
    shutdown_blocker,
    unavailable_reason,
)
from hvgui.domain.vm import HeartbeatStatus, Vm, VmState


def _shutdown(
    *, enabled: bool = True, primary: ComponentStatus | None = ComponentStatus.Ok, text: str = "OK"
) -> IntegrationServiceState:
    return IntegrationServiceState(SHUTDOWN.ic_guid or "", "Shutdown", enabled, primary, None, text, "")


def _vm(state: VmState = VmState.Running, *services: IntegrationServiceState, name: str = "dc01") -> Vm:
    return Vm(
        host="http://hv-demo-01:5985",
        vm_id="3f2a8b1c-0d4e-4f5a-9b6c-7d8e9f0a1b2c",
        name=name,
        state=state,
        heartbeat=None if state is VmState.Off else HeartbeatStatus.OkApplicationsHealthy,
        status="Operating normally",
        booted_at=1_700_000_000.0 if state.is_running else None,
        cpu_usage=2,
        memory_assigned=4 << 30,
        generation=2,
        version="10.0",
        integration_services=services or (_shutdown(),),
    )


# --- the state table (hyperv-api.md §2.2) ------------------------------------------------------------------

TABLE = {
    PowerAction.Start: {VmState.Off, VmState.Saved, VmState.Paused, VmState.FastSaved, VmState.Hibernated},
    PowerAction.TurnOff: {VmState.Running, VmState.Paused, VmState.Saved, VmState.FastSaved},
    PowerAction.ShutDown: {VmState.Running},
    PowerAction.Save: {VmState.Running, VmState.Paused},
    PowerAction.Restart: {VmState.Running},
    # Suspend-VM and Resume-VM (Msvm_ComputerSystem.RequestStateChange Quiesce / Enabled from Quiesce).
    PowerAction.Pause: {VmState.Running},
    PowerAction.Resume: {VmState.Paused},
}


@pytest.mark.parametrize("action", list(PowerAction))
@pytest.mark.parametrize("state", list(VmState))
def test_availability_follows_the_hosts_state_table(action: PowerAction, state: VmState) -> None:
    vm = _vm(state)
    assert action_available(vm, action) is (state in TABLE[action])
    assert allowed_states(action) == TABLE[action]
    # a reason is given exactly when the action is not offered
    assert (unavailable_reason(vm, action) is None) is (state in TABLE[action])


def test_available_actions_of_typical_states() -> None:
    assert available_actions(_vm(VmState.Off)) == [PowerAction.Start]
    assert available_actions(_vm(VmState.Running)) == [
        PowerAction.ShutDown,
        PowerAction.TurnOff,
        PowerAction.Save,
        PowerAction.Restart,
        PowerAction.Pause,
    ]
    assert available_actions(_vm(VmState.Saved)) == [PowerAction.Start, PowerAction.TurnOff]
    assert available_actions(_vm(VmState.Paused)) == [
        PowerAction.Start,
        PowerAction.TurnOff,
        PowerAction.Save,
        PowerAction.Resume,
    ]
    assert available_actions(_vm(VmState.Starting)) == []


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        (VmState.Running, PowerAction.Start, "'dc01' is already running."),
        (VmState.Off, PowerAction.TurnOff, "'dc01' is already off."),
        (VmState.Off, PowerAction.ShutDown, "'dc01' is already off."),
        (VmState.Saved, PowerAction.Save, "'dc01' is already saved."),
        (VmState.Off, PowerAction.Save, "'dc01' is off; only a running or paused VM can be saved."),
        (VmState.Paused, PowerAction.ShutDown, "'dc01' is paused; only a running VM can be shut down."),
        (VmState.Off, PowerAction.Restart, "'dc01' is off; only a running VM can be restarted."),
        (VmState.Starting, PowerAction.TurnOff, "'dc01' is starting; wait until that finishes."),
        (VmState.FastSaving, PowerAction.Start, "'dc01' is fast saving; wait until that finishes."),
        (VmState.RunningCritical, PowerAction.Start, "Start is not possible while 'dc01' is running (critical)."),
    ],
)
def test_unavailable_reasons_read_well(state: VmState, action: PowerAction, expected: str) -> None:
    assert unavailable_reason(_vm(state), action) == expected


def test_labels_and_descriptions_exist_for_every_action() -> None:
    assert [a.label for a in PowerAction] == [
        "Start",
        "Shut Down",
        "Turn Off",
        "Save",
        "Restart",
        "Pause",
        "Resume",
    ]
    for action in PowerAction:
        assert action.description.endswith(".")
    assert {a for a in PowerAction if a.is_hard} == {PowerAction.TurnOff, PowerAction.Restart}


@pytest.mark.parametrize(
    ("action", "from_state", "expected"),
    [
        (PowerAction.Start, VmState.Off, "Started 'dc01'."),
        (PowerAction.Start, VmState.Paused, "Resumed 'dc01'."),
        (PowerAction.Start, VmState.Saved, "Restored 'dc01' from its saved state."),
        (PowerAction.Start, VmState.FastSaved, "Restored 'dc01' from its saved state."),
        (PowerAction.Start, None, "Started 'dc01'."),
        (PowerAction.Pause, VmState.Running, "Paused 'dc01'."),
        (PowerAction.Resume, VmState.Paused, "Resumed 'dc01'."),
        (PowerAction.TurnOff, VmState.Paused, "Turned off 'dc01'."),
    ],
)
def test_done_text_says_what_happened(action: PowerAction, from_state: VmState | None, expected: str) -> None:
    assert done_text(action, "dc01", from_state) == expected


def test_pause_and_resume_say_why_they_are_not_offered() -> None:
    assert unavailable_reason(_vm(VmState.Off), PowerAction.Pause) == "'dc01' is off; only a running VM can be paused."
    assert unavailable_reason(_vm(VmState.Running), PowerAction.Resume) == "'dc01' is already running."
    assert unavailable_reason(_vm(VmState.Saved), PowerAction.Resume) == (
        "'dc01' is saved; only a paused VM can be resumed."
    )
    assert unavailable_reason(_vm(VmState.Paused), PowerAction.Pause) == "'dc01' is already paused."


def test_describe_state() -> None:
    assert describe_state(VmState.FastSaved) == "fast saved"
    assert describe_state(VmState.PausedCritical) == "paused (critical)"


# --- graceful shutdown ----------------------------------------------------------------------------------------


def test_shutdown_possible_when_the_service_is_enabled_and_ok() -> None:
    assert shutdown_blocker(_vm()) is None


def test_shutdown_blocked_when_the_service_is_disabled() -> None:
    reason = shutdown_blocker(_vm(VmState.Running, _shutdown(enabled=False)))
    assert reason == (
        "The Shutdown integration service of 'dc01' is disabled, so Hyper-V cannot ask its guest operating "
        "system to shut down. Enable the service, or turn the VM off."
    )


def test_shutdown_blocked_when_the_guest_does_not_answer() -> None:
    reason = shutdown_blocker(_vm(VmState.Running, _shutdown(primary=ComponentStatus.NoContact, text="No Contact")))
    assert reason is not None
    assert "(No Contact)" in reason and "vmicshutdown" in reason and "hv_utils" in reason


def test_shutdown_blocked_when_the_guest_stopped_answering() -> None:
    state = _shutdown(primary=ComponentStatus.LostCommunication, text="Lost Communication")
    reason = shutdown_blocker(_vm(VmState.Running, state))
    assert reason is not None
    assert "stopped answering" in reason and "hang or have crashed" in reason


def test_shutdown_blocked_by_another_status_quotes_what_the_host_says() -> None:
    reason = shutdown_blocker(_vm(VmState.Running, _shutdown(primary=ComponentStatus.Degraded, text="Herabgestuft")))
    assert reason == (
        "The Shutdown integration service of 'dc01' reports 'Herabgestuft', so Hyper-V cannot use it now."
    )
    no_status = shutdown_blocker(_vm(VmState.Running, _shutdown(primary=None, text="")))
    assert no_status is not None and "reports no status" in no_status


def test_shutdown_blocked_when_the_service_is_missing() -> None:
    other = IntegrationServiceState(
        TIME_SYNC.ic_guid or "", "Time Synchronization", True, ComponentStatus.Ok, None, "", ""
    )
    reason = shutdown_blocker(_vm(VmState.Running, other))
    assert reason is not None and "reports no Shutdown integration service" in reason


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (VmState.Off, "'dc01' is already off."),
        (VmState.Saved, "'dc01' is saved; only a running VM can shut down."),
        (VmState.Paused, "'dc01' is paused; only a running VM can shut down."),
        (VmState.Stopping, "'dc01' is stopping; wait until that finishes."),
    ],
)
def test_shutdown_blocked_when_the_vm_is_not_running(state: VmState, expected: str) -> None:
    assert shutdown_blocker(_vm(state)) == expected


def test_shutdown_blocker_ignores_other_services() -> None:
    vm = _vm()
    broken_time = IntegrationServiceState(
        TIME_SYNC.ic_guid or "", "Time Synchronization", False, ComponentStatus.NoContact, None, "", ""
    )
    vm = dataclasses.replace(vm, integration_services=(*vm.integration_services, broken_time))
    assert shutdown_blocker(vm) is None


# --- confirmations ---------------------------------------------------------------------------------------------


def test_turn_off_asks_in_words_an_admin_understands() -> None:
    text = confirm_text(PowerAction.TurnOff, ["dc01"])
    assert text is not None
    assert text.startswith("Turn off 'dc01'?\n\n")
    assert "pulling the power cord" in text
    assert "lost or corrupted" in text
    assert "Shut Down" in text and "Save" in text


def test_restart_is_a_reset_and_says_so() -> None:
    text = confirm_text(PowerAction.Restart, ["web01"])
    assert text is not None
    assert text.startswith("Restart 'web01'?\n\n")
    assert "reset button" in text and "not shut down first" in text


def test_confirmation_for_many_vms_names_them() -> None:
    names = [f"vm{i}" for i in range(7)]
    text = confirm_text(PowerAction.TurnOff, names)
    assert text is not None
    assert text.startswith("Turn off these 7 virtual machines ('vm0', 'vm1', 'vm2', 'vm3', 'vm4' and 2 more)?")


@pytest.mark.parametrize("action", [PowerAction.Start, PowerAction.Save])
def test_gentle_actions_need_no_confirmation(action: PowerAction) -> None:
    assert confirm_text(action, ["dc01"]) is None


def test_shut_down_asks_as_hyper_v_manager_does_naming_each_vm() -> None:
    one = confirm_text(PowerAction.ShutDown, ["dc01"])
    assert one is not None and one.startswith("Shut down 'dc01'?\n\n")
    assert "shut down cleanly" in one and "Shutdown integration service" in one
    many = confirm_text(PowerAction.ShutDown, [f"vm{i}" for i in range(12)])
    assert many is not None and many.startswith("Shut down these 12 virtual machines?\n\n\u2022 'vm0'\n")
    assert "\u2022 'vm9'\n\u2022 and 2 more\n\n" in many and "'vm10'" not in many


def test_no_confirmation_without_vms() -> None:
    assert confirm_text(PowerAction.TurnOff, []) is None
