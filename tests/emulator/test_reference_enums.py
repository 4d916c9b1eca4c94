"""What the emulated host serializes and what its model speaks in both come from the vendored reference."""

from __future__ import annotations

import enum

import pytest

from hvgui.emulator.hyperv import components, enums, reference

NS = "Microsoft.HyperV.PowerShell."


@pytest.mark.parametrize(
    ("wire_enum", "model_enum", "reference_name"),
    [
        (enums.VMState, reference.VmState, "VMState"),
        (enums.VMHeartbeatStatus, reference.HeartbeatStatus, "VMHeartbeatStatus"),
        (enums.VMIntegrationComponentOperationalStatus, None, "VMIntegrationComponentOperationalStatus"),
        (enums.CheckpointType, reference.CheckpointType, "CheckpointType"),
        (enums.SnapshotType, reference.SnapshotType, "SnapshotType"),
    ],
)
def test_serialized_and_model_enums_are_the_reference(
    wire_enum: type[enum.Enum], model_enum: type[enum.IntEnum] | None, reference_name: str
) -> None:
    expected = reference.DATA["enums"][reference_name]
    assert {m.name: m.value for m in wire_enum} == expected
    assert wire_enum.PSObject.type_names[0] == NS + reference_name
    if model_enum is not None:
        assert {m.name: m.value for m in model_enum} == expected


def test_the_model_component_status_adds_the_internal_members_the_wire_enum_lacks() -> None:
    public = {m.name for m in enums.VMIntegrationComponentOperationalStatus}
    model = {m.name for m in reference.ComponentStatus}
    assert model - public == {"Unknown", "Dormant"}
    assert {s.name for s in reference.PUBLIC_COMPONENT_STATUSES} == public


def test_the_catalogue_lists_six_components_by_their_en_us_names() -> None:
    assert [s.name for s in components.INTEGRATION_COMPONENTS] == [
        "Guest Service Interface",
        "Heartbeat",
        "Key-Value Pair Exchange",
        "Shutdown",
        "Time Synchronization",
        "VSS",
    ]
    assert len({s.ic_guid for s in components.INTEGRATION_COMPONENTS}) == 6
    assert [s.key for s in components.INTEGRATION_COMPONENTS if not s.enabled_by_default] == ["guestservice"]
    assert components.SHUTDOWN.ic_guid == "9F8233AC-BE49-4C79-8EE3-E7E1985B2077"
