"""Bulk changes: plans that list only real changes, baselines, confirmations, results and fleet filters."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from hvgui.domain.bulk import (
    ALL_ON,
    ALL_ON_EXCEPT_TIMESYNC_FOR_DCS,
    ANY_SERVICE_NOT_OK,
    BASELINES,
    FLEET_FILTERS,
    GSI_OFF,
    IC_GUIDS,
    RECOMMENDED_DEFAULTS,
    TIMESYNC_ON_FOR_DCS,
    ChangeResult,
    PlannedChange,
    ResultKind,
    apply_filters,
    confirm_text,
    current_state,
    desired_from_baseline,
    impact_warning,
    plan_changes,
    planned_change,
    summarize,
)
from hvgui.domain.integration import (
    GUEST_SERVICE_INTERFACE,
    HEARTBEAT,
    INTEGRATION_COMPONENTS,
    KVP,
    SHUTDOWN,
    TIME_SYNC,
    VSS,
    ComponentStatus,
    IntegrationServiceState,
    ServiceInfo,
)
from hvgui.domain.operations import ServiceToggleOperation
from hvgui.domain.vm import CheckpointType, HeartbeatStatus, Vm, VmKey, VmState

HOST_A = "http://hv-demo-01:5985"
HOST_B = "http://hv-de-01:5985"
GSI = GUEST_SERVICE_INTERFACE.ic_guid or ""
TS = TIME_SYNC.ic_guid or ""
SD = SHUTDOWN.ic_guid or ""
VSS_GUID = VSS.ic_guid or ""
GERMAN = {GSI: "Gastdienstschnittstelle", TS: "Zeitsynchronisierung", SD: "Herunterfahren"}


def _vm(
    name: str,
    *,
    host: str = HOST_A,
    product_type: int | None = 3,
    off: tuple[ServiceInfo, ...] = (GUEST_SERVICE_INTERFACE,),
    broken: dict[ServiceInfo, ComponentStatus] | None = None,
    state: VmState = VmState.Running,
    names: dict[str, str] | None = None,
    checkpoint_type: CheckpointType = CheckpointType.Production,
    services: tuple[ServiceInfo, ...] = INTEGRATION_COMPONENTS,
) -> Vm:
    broken = broken or {}
    running = state is VmState.Running
    states = tuple(
        IntegrationServiceState(
            info.ic_guid or "",
            (names or {}).get(info.ic_guid or "", info.name),
            info not in off,
            broken.get(info, ComponentStatus.Ok) if running else None,
            None,
            "",
            "",
        )
        for info in services
    )
    return Vm(
        host=host,
        vm_id=str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
        name=name,
        state=state,
        heartbeat=HeartbeatStatus.OkApplicationsHealthy if running else None,
        status="Operating normally",
        booted_at=1_700_000_000.0 if running else None,
        cpu_usage=1,
        memory_assigned=1 << 30,
        generation=2,
        version="10.0",
        checkpoint_type=checkpoint_type,
        integration_services=states,
        guest_product_type=product_type if running else None,
    )


# --- plans ------------------------------------------------------------------------------------------------------


def test_a_plan_lists_only_real_changes() -> None:
    web = _vm("web01")  # everything on but GSI
    desired = {web.key: {GSI: False, TS: True, SD: False}}
    plan = plan_changes([web], desired)
    assert [(c.ic_guid, c.enable) for c in plan] == [(SD, False)]
    assert plan[0] == PlannedChange(
        vm_key=web.key,
        vm_name="web01",
        ic_guid=SD,
        service_name="Shutdown",
        enable=False,
        impact_warning=(
            "Impact: High. The host cannot shut the guest down cleanly; every shutdown becomes a hard power-off, "
            "which can lose or corrupt data."
        ),
        currently_enabled=True,
    )


def test_the_current_state_plans_nothing() -> None:
    vms = [_vm("a"), _vm("b", off=(TIME_SYNC, VSS)), _vm("c", state=VmState.Off)]
    assert plan_changes(vms, current_state(vms)) == []


def test_vms_without_desired_states_are_left_alone() -> None:
    a, b = _vm("a"), _vm("b")
    assert [c.vm_name for c in plan_changes([a, b], {b.key: {GSI: True}})] == ["b"]


def test_plans_keep_the_vm_order_and_the_hosts_service_order() -> None:
    a, b = _vm("a", off=()), _vm("b", off=())
    desired = {b.key: {TS: False, GSI: False}, a.key: {SD: False, HEARTBEAT.ic_guid or "": False}}
    plan = plan_changes([a, b], desired)
    assert [(c.vm_name, c.service_name) for c in plan] == [
        ("a", "Heartbeat"),
        ("a", "Shutdown"),
        ("b", "Guest Service Interface"),
        ("b", "Time Synchronization"),
    ]


def test_a_service_the_host_did_not_report_is_planned_not_dropped() -> None:
    partial = _vm("partial", services=(HEARTBEAT, KVP))
    plan = plan_changes([partial], {partial.key: {GSI.lower(): True, KVP.ic_guid or "": True}})
    assert [(c.ic_guid, c.currently_enabled, c.service_name) for c in plan] == [(GSI, None, "Guest Service Interface")]


def test_changes_carry_the_hosts_localized_names_and_their_command_names_the_host_and_ids() -> None:
    german = _vm("dc01", host=HOST_B, names=GERMAN)
    change = planned_change(german, TS, False)
    assert change.service_name == "Zeitsynchronisierung"
    assert change.description == "Disable Zeitsynchronisierung on 'dc01'"
    operation = ServiceToggleOperation.of_change(change, "hv-de-01")
    assert operation.target.vm_key == german.key and operation.title == change.description
    assert operation.powershell() == (
        f"Get-VM -ComputerName 'hv-de-01' -Id '{german.vm_id}' | Get-VMIntegrationService | "
        f"Where-Object {{ $_.Id -like '*\\{TS}' }} | Disable-VMIntegrationService"
    )  # the service by its Id, not by the localized name: the text works on any host's language
    assert change.host == HOST_B
    assert change.info is TIME_SYNC


# --- impact warnings --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("info", INTEGRATION_COMPONENTS)
def test_every_disable_warns_with_the_impact_of_the_reference(info: ServiceInfo) -> None:
    warning = impact_warning(_vm("a"), info.ic_guid or "", enable=False)
    assert warning is not None
    assert warning.startswith(f"Impact: {info.impact.value}. {info.impact_text}")


def test_enabling_needs_no_warning_except_time_sync_on_a_domain_controller() -> None:
    for guid in IC_GUIDS:
        assert impact_warning(_vm("web01"), guid, enable=True) is None
    dc_warning = impact_warning(_vm("dc01", product_type=2), TS, enable=True)
    assert dc_warning is not None and "domain controller" in dc_warning


def test_contextual_warnings() -> None:
    only = _vm("sql01", checkpoint_type=CheckpointType.ProductionOnly)
    assert "Checkpoints of this VM will fail" in (impact_warning(only, VSS_GUID, enable=False) or "")
    assert "will fail" not in (impact_warning(_vm("sql02"), VSS_GUID, enable=False) or "")
    assert "cannot tell whether it is a domain controller" in (impact_warning(_vm("a"), KVP.ic_guid or "", False) or "")
    assert "this is intended" in (impact_warning(_vm("dc01", product_type=2), TS, enable=False) or "")
    assert impact_warning(_vm("a"), "00000000-0000-0000-0000-000000000000", enable=False) is None


# --- confirmation -----------------------------------------------------------------------------------------------


def test_disabling_shutdown_asks_and_explains() -> None:
    vm = _vm("dc01")
    text = confirm_text([planned_change(vm, SD, False)])
    assert text is not None
    question, explanation = text.split("\n\n")
    assert question == "Disable Shutdown on 'dc01'?"
    assert "shut the guest operating system down cleanly" in explanation
    assert "the only way left to stop the VM is Turn Off" in explanation
    assert "pulling the power cord" in explanation


def test_disabling_time_sync_asks_and_explains() -> None:
    text = confirm_text([planned_change(_vm("dc01"), TS, False)])
    assert text is not None
    assert text.startswith("Disable Time Synchronization on 'dc01'?\n\n")
    assert "drifts unless the guest has another time source" in text
    assert "Kerberos" in text


def test_lower_impact_changes_and_enables_need_no_confirmation() -> None:
    vm = _vm("dc01", off=(TIME_SYNC, SHUTDOWN))
    harmless = [
        planned_change(vm, GSI, True),
        planned_change(vm, VSS_GUID, False),
        planned_change(vm, KVP.ic_guid or "", False),
        planned_change(vm, HEARTBEAT.ic_guid or "", False),
        planned_change(vm, TS, True),
        planned_change(vm, SD, True),
    ]
    assert confirm_text(harmless) is None
    assert confirm_text([]) is None


def test_confirmation_of_many_groups_by_service() -> None:
    vms = [_vm(f"vm{i}") for i in range(7)]
    plan = plan_changes(vms, {vm.key: {SD: False, TS: False, VSS_GUID: False} for vm in vms[:2]})
    plan += plan_changes(vms[2:], {vm.key: {TS: False} for vm in vms[2:]})
    text = confirm_text(plan)
    assert text is not None
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == "Disable Shutdown on 2 VMs and Time Synchronization on 7 VMs?"
    assert paragraphs[1].startswith("Shutdown on 'vm0', 'vm1': Hyper-V will no longer be able")
    assert paragraphs[2].startswith("Time Synchronization on 'vm0', 'vm1', 'vm2', 'vm3', 'vm4' and 2 more: ")
    assert len(paragraphs) == 3  # VSS is not High impact


# --- baselines --------------------------------------------------------------------------------------------------


def test_all_on_switches_on_everything_including_gsi() -> None:
    vms = [_vm("a"), _vm("b", off=(TIME_SYNC, SHUTDOWN, GUEST_SERVICE_INTERFACE))]
    desired, notes = desired_from_baseline(ALL_ON, vms)
    assert notes == []
    plan = plan_changes(vms, desired)
    assert [(c.vm_name, c.service_name, c.enable) for c in plan] == [
        ("a", "Guest Service Interface", True),
        ("b", "Guest Service Interface", True),
        ("b", "Shutdown", True),
        ("b", "Time Synchronization", True),
    ]
    assert confirm_text(plan) is None


def test_recommended_defaults_leave_gsi_as_it_is() -> None:
    vms = [_vm("a", off=(GUEST_SERVICE_INTERFACE, VSS)), _vm("b", off=())]
    desired, _notes = desired_from_baseline(RECOMMENDED_DEFAULTS, vms)
    assert all(GSI not in d for d in desired.values())
    assert [(c.vm_name, c.service_name, c.enable) for c in plan_changes(vms, desired)] == [("a", "VSS", True)]


def test_time_sync_off_for_domain_controllers() -> None:
    dc = _vm("dc01", product_type=2, off=())
    member = _vm("app01", product_type=3, off=(TIME_SYNC,))
    workstation = _vm("pc01", product_type=1, off=(TIME_SYNC,))
    desired, notes = desired_from_baseline(ALL_ON_EXCEPT_TIMESYNC_FOR_DCS, [dc, member, workstation])
    assert notes == []
    plan = plan_changes([dc, member, workstation], desired)
    assert [(c.vm_name, c.service_name, c.enable) for c in plan] == [
        ("dc01", "Time Synchronization", False),
        ("app01", "Time Synchronization", True),
        ("pc01", "Time Synchronization", True),
    ]
    assert "this is intended" in (plan[0].impact_warning or "")


def test_a_vm_whose_role_is_unknown_keeps_its_time_sync_and_says_so() -> None:
    # An Off DC reports no product type: turning its Time Synchronization on would be wrong.
    off_dc = _vm("dc02", state=VmState.Off, off=(TIME_SYNC, GUEST_SERVICE_INTERFACE))
    desired, notes = desired_from_baseline(ALL_ON_EXCEPT_TIMESYNC_FOR_DCS, [off_dc])
    assert TS not in desired[off_dc.key]
    assert notes == [
        "Time Synchronization of 'dc02' is left as it is: hvgui cannot tell whether it is a domain controller, "
        "because its guest reports no OS data (the VM is not running, or its Key-Value Pair Exchange service "
        "does not answer)."
    ]
    assert [c.service_name for c in plan_changes([off_dc], desired)] == ["Guest Service Interface"]


def test_baselines_are_listed_with_labels() -> None:
    assert BASELINES == (RECOMMENDED_DEFAULTS, ALL_ON, ALL_ON_EXCEPT_TIMESYNC_FOR_DCS)
    assert len({b.key for b in BASELINES}) == 3
    for baseline in BASELINES:
        assert baseline.label and baseline.description.endswith(".")


# --- results ----------------------------------------------------------------------------------------------------


def test_result_messages() -> None:
    change = planned_change(_vm("dc01"), GSI, True)
    done = ChangeResult.done(change)
    assert (done.ok, done.kind, done.message) == (True, ResultKind.Done, "Enabled Guest Service Interface on 'dc01'.")
    warned = ChangeResult.done(change, ["The virtual machine is already in the specified state."])
    assert warned.ok and warned.warnings == ("The virtual machine is already in the specified state.",)
    assert warned.message.endswith("The host warned: The virtual machine is already in the specified state.")
    failed = ChangeResult.failed(change, "Access denied.")
    assert (failed.ok, failed.kind) == (False, ResultKind.Failed)
    assert failed.message == "Enable Guest Service Interface on 'dc01' failed: Access denied."
    unknown = ChangeResult.unknown(change, "connection dropped")
    assert not unknown.ok and "cannot tell whether it was made" in unknown.message
    skipped = ChangeResult.not_attempted(change, "the host dropped earlier.")
    assert not skipped.ok and skipped.message == (
        "Enable Guest Service Interface on 'dc01' was not attempted: the host dropped earlier."
    )


def test_summaries() -> None:
    change = planned_change(_vm("dc01"), GSI, True)
    assert summarize([]) == "Nothing to change."
    assert summarize([ChangeResult.done(change)]) == "1 change made."
    results = [
        ChangeResult.done(change),
        ChangeResult.done(change),
        ChangeResult.failed(change, "x"),
        ChangeResult.unknown(change, "y"),
        ChangeResult.not_attempted(change, "z"),
        ChangeResult.not_attempted(change, "z"),
    ]
    assert summarize(results) == "2 changes made, 1 failed, 1 unconfirmed, 2 not attempted."
    assert summarize([ChangeResult.failed(change, "x")]) == "0 changes made, 1 failed."


# --- fleet filters ----------------------------------------------------------------------------------------------


def test_fleet_filters() -> None:
    gsi_off = _vm("a")
    gsi_on = _vm("b", off=())
    dc_synced = _vm("dc01", product_type=2, off=())
    dc_unsynced = _vm("dc02", product_type=2, off=(TIME_SYNC,))
    sick = _vm("web02", off=(), broken={KVP: ComponentStatus.NoContact})
    mismatch = _vm("web03", off=())
    mismatch = dataclasses.replace(
        mismatch,
        integration_services=tuple(
            dataclasses.replace(s, secondary=ComponentStatus.ProtocolMismatch) if s.ic_guid == VSS_GUID else s
            for s in mismatch.integration_services
        ),
    )
    off_vm = _vm("off01", state=VmState.Off, off=())
    disabled_only = _vm("c", off=(TIME_SYNC, GUEST_SERVICE_INTERFACE))
    fleet = [gsi_off, gsi_on, dc_synced, dc_unsynced, sick, mismatch, off_vm, disabled_only]

    def names(*filters):
        return [vm.name for vm in apply_filters(fleet, filters)]

    assert names(GSI_OFF) == ["a", "c"]
    assert names(TIMESYNC_ON_FOR_DCS) == ["dc01"]
    # a disabled service counts (Guest Service Interface aside: off is Hyper-V's default); a VM that is off
    # counts only for a disabled service
    assert names(ANY_SERVICE_NOT_OK) == ["dc02", "web02", "web03", "c"]
    shutdown_off = _vm("d", state=VmState.Off, off=(GUEST_SERVICE_INTERFACE, SHUTDOWN))
    heartbeat_off = _vm("e", off=(HEARTBEAT,))
    assert [vm.name for vm in apply_filters([shutdown_off, heartbeat_off, off_vm], [ANY_SERVICE_NOT_OK])] == ["d", "e"]
    assert all(f.description for f in FLEET_FILTERS)
    assert names(GSI_OFF, TIMESYNC_ON_FOR_DCS) == []
    assert names() == [vm.name for vm in fleet]
    assert FLEET_FILTERS == (GSI_OFF, TIMESYNC_ON_FOR_DCS, ANY_SERVICE_NOT_OK)
    assert [f.label for f in FLEET_FILTERS] == [
        "Guest Service Interface off",
        "Time Synchronization on for domain controllers",
        "Any service off or not OK",
    ]


def test_current_state_matrix() -> None:
    vm = _vm("a", off=(GUEST_SERVICE_INTERFACE, VSS))
    assert current_state([vm]) == {
        vm.key: {guid: guid not in (GSI, VSS_GUID) for guid in IC_GUIDS},
    }
    assert list(current_state([vm])) == [VmKey(HOST_A, vm.vm_id)]
