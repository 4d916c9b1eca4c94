"""The domain's Hyper-V enums and catalogue agree with the vendored reference and with genuine captures.

The emulator takes its values from the vendored reference (`hvgui/emulator/hyperv/reference_data.json`,
from `hyperv-api.md` §4), never from the domain. This test is what keeps the domain honest: every domain
enum that mirrors a Hyper-V enum must have the reference's members and values, and what genuine hosts
printed (`tests/reference_samples/`) must parse to the right members.
"""

from __future__ import annotations

import enum
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from pypsrp.serializer import Serializer

from hvgui.domain import integration as ic
from hvgui.domain.checkpoints import SnapshotType
from hvgui.domain.integration import ComponentStatus
from hvgui.domain.vm import CheckpointType, HeartbeatStatus, VmState
from hvgui.remoting.parse import parse_vm_object, properties_of

ROOT = Path(__file__).resolve().parents[2]
REFERENCE: dict[str, Any] = json.loads(
    (ROOT / "hvgui" / "emulator" / "hyperv" / "reference_data.json").read_text(encoding="utf-8")
)
SAMPLES = ROOT / "tests" / "reference_samples"


def _members(cls: type[enum.IntEnum]) -> dict[str, int]:
    return {member.name: member.value for member in cls}


@pytest.mark.parametrize(
    ("domain_enum", "reference_name"),
    [
        (VmState, "VMState"),
        (HeartbeatStatus, "VMHeartbeatStatus"),
        (CheckpointType, "CheckpointType"),
        (SnapshotType, "SnapshotType"),
    ],
)
def test_domain_enum_has_the_reference_members_and_values(domain_enum: type[enum.IntEnum], reference_name: str) -> None:
    assert _members(domain_enum) == REFERENCE["enums"][reference_name]


def test_component_status_is_the_public_enum_plus_the_internal_members() -> None:
    name = "VMIntegrationComponentOperationalStatus"
    expected = {**REFERENCE["enums"][name], **REFERENCE["internal_enums"][name]}
    assert _members(ComponentStatus) == expected


def test_heartbeat_labels_are_the_en_us_display_strings() -> None:
    labels = {member.name: member.label for member in HeartbeatStatus}
    assert labels == REFERENCE["display_en_us"]["VMHeartbeatStatus"]


def test_integration_component_catalogue_matches_the_reference() -> None:
    expected = [
        (c["ic_guid"], c["name"], c["windows_service"], c["linux_daemon"], c["enabled_by_default"])
        for c in REFERENCE["integration_components"]
    ]
    actual = [
        (s.ic_guid, s.name, s.windows_service, s.linux_daemon, s.enabled_by_default) for s in ic.INTEGRATION_COMPONENTS
    ]
    assert actual == expected  # same order too: the host lists them alphabetically by en-US name
    direct = REFERENCE["powershell_direct"]
    assert (ic.POWERSHELL_DIRECT.ic_guid, ic.POWERSHELL_DIRECT.windows_service) == (None, direct["windows_service"])
    assert ic.POWERSHELL_DIRECT.linux_daemon == direct["linux_daemon"]


# --- genuine captures ---------------------------------------------------------------------------------------


def _clixml_objects(path: Path) -> list[Any]:
    """Deserialize a captured CLIXML document with pypsrp, as the client does with a host's output."""
    text = re.sub(r">\s+<", "><", path.read_text(encoding="utf-8")).strip()
    text = text.replace(' xmlns="http://schemas.microsoft.com/powershell/2004/04"', "")
    return [Serializer().deserialize(element) for element in ET.fromstring(text)]


def test_a_captured_get_vm_object_parses_to_the_right_state() -> None:
    (captured,) = _clixml_objects(SAMPLES / "get-vm-select.clixml.xml")
    state = captured.extended_properties["State"]
    assert state.types[0] == "Microsoft.HyperV.PowerShell.VMState"
    vm = parse_vm_object(properties_of(captured), host="hv01")
    assert vm.state is VmState.Off
    assert vm.state.name == state.to_string == "Off"  # ToString is the member name
    assert (vm.name, vm.vm_id, vm.status, vm.booted_at) == (
        "IT-HELP-DVLS",
        "fbac8867-40ca-4032-a8e0-901c7f004cd7",
        "Operating normally",
        None,
    )


def _table_rows(path: Path, first_column: str) -> list[list[str]]:
    """Rows of a captured Format-Table block, split on the column starts the dashes line shows."""
    lines = path.read_text(encoding="utf-8").splitlines()
    rows: list[list[str]] = []
    for index, line in enumerate(lines):
        if not line.startswith(first_column):
            continue
        dashes = lines[index + 1]
        starts = [m.start() for m in re.finditer(r"-+", dashes)]
        for row in lines[index + 2 :]:
            if not row.strip():
                break
            bounds = [*starts[1:], len(row)]
            rows.append([row[a:b].strip() for a, b in zip(starts, bounds, strict=True)])
    return rows


def test_states_in_a_captured_get_vm_table_are_domain_members() -> None:
    rows = _table_rows(SAMPLES / "get-vm-table.txt", "Name ")
    states = {row[0]: VmState[row[1]] for row in rows}
    assert states == {"DockerDesktopVM": VmState.Off, "minikube": VmState.Running}


def test_a_captured_integration_service_listing_matches_the_catalogue() -> None:
    rows = _table_rows(SAMPLES / "get-vmintegrationservice-ubuntu2404-table.txt", "VMName ")
    first_listing = rows[: len(ic.INTEGRATION_COMPONENTS)]
    assert [row[1] for row in first_listing] == [s.name for s in ic.INTEGRATION_COMPONENTS]
    # Before the admin enabled it, only the Guest Service Interface was off: the host defaults.
    assert [row[2] == "True" for row in first_listing] == [s.enabled_by_default for s in ic.INTEGRATION_COMPONENTS]
