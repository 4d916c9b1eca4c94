"""One rule says whether a VM is running: `VmState.is_running`, which the table, panel, heartbeat and power use."""

from __future__ import annotations

import pytest

from hvgui.domain.heartbeat import IndicatorShape, heartbeat_indicator
from hvgui.domain.power import PowerAction, allowed_states
from hvgui.domain.vm import HeartbeatStatus, VmState

NOT_RUNNING = {
    VmState.Off,
    VmState.OffCritical,
    VmState.Saved,
    VmState.SavedCritical,
    VmState.FastSaved,
    VmState.FastSavedCritical,
    VmState.Hibernated,
}


def test_exactly_the_states_without_a_worker_process_are_not_running() -> None:
    assert {state for state in VmState if not state.is_running} == NOT_RUNNING


@pytest.mark.parametrize(
    "state",
    [VmState.Running, VmState.Paused, VmState.PausedCritical, VmState.RunningCritical, VmState.ComponentServicing]
    + [state for state in VmState if state.is_transitional],
)
def test_running_paused_and_transitional_states_run(state: VmState) -> None:
    assert state.is_running


def test_every_state_start_vm_starts_from_except_paused_is_not_running() -> None:
    # Start-VM starts Off, Saved, FastSaved and Hibernated VMs and resumes Paused ones (hyperv-api.md §2.2).
    assert {s for s in allowed_states(PowerAction.Start) if s is not VmState.Paused} <= NOT_RUNNING


@pytest.mark.parametrize("state", sorted(NOT_RUNNING))
def test_the_heartbeat_of_a_vm_that_is_not_running_says_the_vm_does_not_run(state: VmState) -> None:
    indicator = heartbeat_indicator(state, HeartbeatStatus.OkApplicationsHealthy)
    assert indicator.text in ("VM off", "VM saved", "VM hibernated")
    assert indicator.shape is IndicatorShape.Blank
