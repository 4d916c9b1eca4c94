from __future__ import annotations

import dataclasses

from hvgui.domain.display import format_memory, format_uptime
from hvgui.domain.integration import (
    ALL_SERVICES,
    GUEST_SERVICE_INTERFACE,
    INTEGRATION_COMPONENTS,
    Impact,
    ic_guid_from_id,
    service_for_guid,
)
from hvgui.domain.inventory import diff_inventory, vanished
from hvgui.domain.vm import HeartbeatStatus, Inventory, Vm, VmKey, VmState


def _vm(name: str, vm_id: str, state: VmState = VmState.Running) -> Vm:
    return Vm(
        host="HV01",
        vm_id=vm_id,
        name=name,
        state=state,
        heartbeat=HeartbeatStatus.OkApplicationsHealthy if state == VmState.Running else None,
        status="Operating normally",
        booted_at=1_700_000_000.0,
        cpu_usage=1,
        memory_assigned=2 << 30,
        generation=2,
        version="10.0",
    )


def test_diff_reports_added_removed_and_changed_by_key() -> None:
    a, b, c = _vm("a", "1"), _vm("b", "2"), _vm("c", "3")
    old = Inventory("HV01", (a, b), 0.0)
    b_off = dataclasses.replace(b, state=VmState.Off, heartbeat=None)
    new = Inventory("HV01", (b_off, c), 1.0)
    diff = diff_inventory(old, new)
    assert diff.added == (c,)
    assert diff.removed == (VmKey("HV01", "1"),)
    assert diff.changed == (b_off,)


def test_unchanged_inventory_gives_an_empty_diff_even_when_reordered() -> None:
    a, b = _vm("a", "1"), _vm("b", "2")
    assert diff_inventory(Inventory("HV01", (a, b), 0), Inventory("HV01", (b, a), 5)).is_empty


def test_first_inventory_adds_everything_and_vanished_removes_everything() -> None:
    inv = Inventory("HV01", (_vm("a", "1"), _vm("b", "2")), 0)
    assert len(diff_inventory(None, inv).added) == 2
    assert set(vanished("HV01", inv).removed) == {VmKey("HV01", "1"), VmKey("HV01", "2")}


def test_catalogue_has_six_components_plus_powershell_direct() -> None:
    assert len(INTEGRATION_COMPONENTS) == 6
    assert ALL_SERVICES[-1].windows_service == "vmicvmsession"
    assert not GUEST_SERVICE_INTERFACE.enabled_by_default
    assert {s.impact for s in ALL_SERVICES} == {Impact.High, Impact.Medium, Impact.Low, Impact.Varies}


def test_component_is_found_by_the_guid_suffix_of_its_id() -> None:
    component_id = "Microsoft:F9C25F23-DB30-403D-A1CD-31FE241DFD54\\84eaae65-2f2e-45f5-9bb5-0e857dc8eb47"
    info = service_for_guid(ic_guid_from_id(component_id))
    assert info is not None and info.name == "Heartbeat"


def test_heartbeat_labels_are_hyper_v_manager_text() -> None:
    assert HeartbeatStatus.Disabled.label == "Unavailable"
    assert HeartbeatStatus.OkApplicationsUnknown.is_ok
    assert not HeartbeatStatus.LostCommunication.is_ok


def test_display_formats() -> None:
    assert format_uptime(0) == "00:00:00"
    assert format_uptime(3 * 86400 + 4 * 3600 + 5 * 60 + 6) == "3.04:05:06"
    assert format_memory(0) == ""
    assert format_memory(4096 * 1024 * 1024) == "4,096 MB"
    assert format_memory(16 * 1024**3) == "16.0 GB"
