"""Checkpoints: the warning before creating one, from the VM's checkpoint type and its VSS service."""

from __future__ import annotations

import pytest

from hvgui.domain.checkpoints import (
    CHECKPOINT_TYPE_DESCRIPTIONS,
    CHECKPOINT_TYPE_LABELS,
    Checkpoint,
    CheckpointOutcome,
    SnapshotType,
    checkpoint_warning,
    vss_unavailable_reason,
)
from hvgui.domain.integration import VSS, ComponentStatus, IntegrationServiceState
from hvgui.domain.vm import CheckpointType, HeartbeatStatus, Vm, VmState

VSS_GUID = VSS.ic_guid or ""


def _vss(enabled: bool = True, primary: ComponentStatus | None = ComponentStatus.Ok, text: str = "OK"):
    return IntegrationServiceState(VSS_GUID, "VSS", enabled, primary, None, text, "")


def _vm(
    checkpoint_type: CheckpointType | None,
    vss: IntegrationServiceState | None = None,
    state: VmState = VmState.Running,
) -> Vm:
    return Vm(
        host="http://hv-demo-01:5985",
        vm_id="3f2a8b1c-0d4e-4f5a-9b6c-7d8e9f0a1b2c",
        name="sql01",
        state=state,
        heartbeat=HeartbeatStatus.OkApplicationsHealthy if state is VmState.Running else None,
        status="Operating normally",
        booted_at=1_700_000_000.0,
        cpu_usage=3,
        memory_assigned=8 << 30,
        generation=2,
        version="10.0",
        checkpoint_type=checkpoint_type,
        integration_services=(vss,) if vss is not None else (),
    )


@pytest.mark.parametrize("checkpoint_type", [CheckpointType.Production, CheckpointType.ProductionOnly])
def test_no_warning_when_vss_works(checkpoint_type: CheckpointType) -> None:
    assert checkpoint_warning(_vm(checkpoint_type, _vss())) is None


def test_production_with_vss_disabled_falls_back_to_standard() -> None:
    text = checkpoint_warning(_vm(CheckpointType.Production, _vss(enabled=False)))
    assert text == (
        "A production checkpoint of 'sql01' is not possible because its VSS integration service is disabled. "
        "Hyper-V will take a standard checkpoint instead: it includes the memory state, and applying it later "
        "resumes the guest exactly where it was, which production workloads such as domain controllers and "
        "databases do not tolerate. Hyper-V does not report afterwards which kind it took."
    )


def test_production_only_with_vss_disabled_will_fail() -> None:
    text = checkpoint_warning(_vm(CheckpointType.ProductionOnly, _vss(enabled=False)))
    assert text == (
        "Creating a checkpoint of 'sql01' will fail: its checkpoint type is Production only and its VSS "
        "integration service is disabled. Enable the VSS service (and make sure it runs in the guest), or "
        "change the checkpoint type."
    )


@pytest.mark.parametrize(
    ("vss", "reason"),
    [
        (_vss(primary=ComponentStatus.NoContact, text="No Contact"), "does not answer the VSS integration service"),
        (_vss(primary=ComponentStatus.LostCommunication), "stopped answering the VSS integration service"),
        (_vss(primary=ComponentStatus.Error, text="Error"), "its VSS integration service reports 'Error'"),
        (_vss(primary=None, text=""), "its VSS integration service reports 'no status'"),
        (None, "the host reports no VSS integration service for it"),
    ],
)
def test_vss_that_does_not_answer_counts_as_unavailable(vss: IntegrationServiceState | None, reason: str) -> None:
    vm = _vm(CheckpointType.Production, vss)
    assert vss_unavailable_reason(vm) is not None
    assert reason in (vss_unavailable_reason(vm) or "")
    assert reason in (checkpoint_warning(vm) or "")
    assert "will fail" in (checkpoint_warning(_vm(CheckpointType.ProductionOnly, vss)) or "")


def test_standard_checkpoints_need_no_vss() -> None:
    assert checkpoint_warning(_vm(CheckpointType.Standard, _vss(enabled=False))) is None
    assert checkpoint_warning(_vm(None, _vss(enabled=False))) is None


def test_disabled_checkpoints_will_fail() -> None:
    text = checkpoint_warning(_vm(CheckpointType.Disabled, _vss()))
    assert text is not None
    assert "Checkpoints are disabled for 'sql01'" in text and "will fail" in text


def test_an_off_vm_needs_no_vss() -> None:
    for state in (VmState.Off, VmState.OffCritical):
        assert checkpoint_warning(_vm(CheckpointType.ProductionOnly, _vss(enabled=False), state=state)) is None
    # the checkpoint type alone still tells
    assert checkpoint_warning(_vm(CheckpointType.Disabled, _vss(), state=VmState.Off)) is not None


@pytest.mark.parametrize("state", [VmState.Saved, VmState.Paused])
def test_a_saved_or_paused_guest_cannot_take_part(state: VmState) -> None:
    fallback = checkpoint_warning(_vm(CheckpointType.Production, _vss(), state=state))
    assert fallback is not None
    assert f"because it is {state.name.lower()}, so its guest cannot take part" in fallback
    assert "standard checkpoint instead" in fallback
    failure = checkpoint_warning(_vm(CheckpointType.ProductionOnly, _vss(), state=state))
    assert failure is not None and "will fail" in failure
    assert failure.endswith("Start or resume the VM first, or change the checkpoint type.")
    assert checkpoint_warning(_vm(CheckpointType.Standard, _vss(), state=state)) is None


def test_a_vm_in_transition_cannot_be_checkpointed_yet() -> None:
    text = checkpoint_warning(_vm(CheckpointType.Standard, _vss(), state=VmState.Starting))
    assert text == "'sql01' is starting; a checkpoint can be taken once that finishes."


def test_every_checkpoint_type_has_a_label_and_a_description() -> None:
    assert set(CHECKPOINT_TYPE_LABELS) == set(CheckpointType)
    assert set(CHECKPOINT_TYPE_DESCRIPTIONS) == set(CheckpointType)


def test_snapshot_type_values_are_the_hosts() -> None:
    assert {t.name: t.value for t in SnapshotType} == {
        "Standard": 0,
        "Recovery": 1,
        "Planned": 2,
        "Missing": 5,
        "Replica": 6,
        "AppConsistentReplica": 7,
        "SyncedReplica": 8,
    }


def test_outcome_defaults() -> None:
    checkpoint = Checkpoint("a", "sql01 - before patch", "b", "sql01", SnapshotType.Standard)
    outcome = CheckpointOutcome(checkpoint)
    assert outcome.warnings == ()


def test_questions_and_names_for_checkpoint_changes() -> None:
    from hvgui.domain.checkpoints import (
        DESCENDANTS_SHOWN,
        MAX_NAME_LENGTH,
        apply_question,
        delete_question,
        rename_problem,
    )

    assert "current state is lost" in apply_question("dc01", "before")
    single = delete_question("dc01", "before")
    assert single.startswith("Delete checkpoint 'before' of 'dc01'?") and "move up" in single
    many = [f"c{i}" for i in range(DESCENDANTS_SHOWN + 3)]
    subtree = delete_question("dc01", "before", many)
    assert f"the {len(many)} checkpoints below it" in subtree
    assert "'c0'" in subtree and f"'c{DESCENDANTS_SHOWN}'" not in subtree and "and 3 more" in subtree
    assert rename_problem("  ", "a") == "A checkpoint needs a name."
    assert rename_problem("a", "a") == "That is its name already."
    assert rename_problem("x" * MAX_NAME_LENGTH, "a") is None
    assert "at most" in (rename_problem("x" * (MAX_NAME_LENGTH + 1), "a") or "")
