"""The Hyper-V enums the emulator's model speaks in, built from the vendored reference.

The values live in `reference_data.json`, vendored by hand from `hyperv-api.md` §4 (as `cmdlet_syntax.json`
is vendored from the shared extraction). The emulator takes them from there and never from `hvgui.domain`:
it plays the host, so a wrong value in the client must make a test fail instead of being echoed back.

The class names are the ones the model code uses; `enums.py` turns the same values into the serialized
.NET enum types.
"""

from __future__ import annotations

import enum
import json
from importlib import resources
from typing import Any

#: The whole vendored reference (enums, display strings, the integration-component catalogue).
DATA: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("reference_data.json").read_text(encoding="utf-8")
)
_ENUMS: dict[str, dict[str, int]] = DATA["enums"]


class VmState(enum.IntEnum):
    """`Microsoft.HyperV.PowerShell.VMState` (§4.1)."""

    _ignore_ = ["_name", "_value"]
    for _name, _value in _ENUMS["VMState"].items():
        vars()[_name] = _value


class HeartbeatStatus(enum.IntEnum):
    """`Microsoft.HyperV.PowerShell.VMHeartbeatStatus` (§4.1; ordinals, the enum has no explicit values)."""

    _ignore_ = ["_name", "_value"]
    for _name, _value in _ENUMS["VMHeartbeatStatus"].items():
        vars()[_name] = _value

    @property
    def is_ok(self) -> bool:
        """Every Ok* member means the guest answers (Linux guests never report application health, §5)."""
        return self.name.startswith("Ok")


class ComponentStatus(enum.IntEnum):
    """`VMIntegrationComponentOperationalStatus` with the internal `Unknown` and `Dormant` members (§4.2).

    The model reports WMI statuses, which can carry the two internal values; the public enum the cmdlets
    serialize (`enums.VMIntegrationComponentOperationalStatus`) has only the public members.
    """

    _ignore_ = ["_name", "_value"]
    for _name, _value in sorted(
        {
            **DATA["internal_enums"]["VMIntegrationComponentOperationalStatus"],
            **_ENUMS["VMIntegrationComponentOperationalStatus"],
        }.items(),
        key=lambda item: item[1],
    ):
        vars()[_name] = _value


class CheckpointType(enum.IntEnum):
    """`Microsoft.HyperV.PowerShell.CheckpointType` (§4.1, §9)."""

    _ignore_ = ["_name", "_value"]
    for _name, _value in _ENUMS["CheckpointType"].items():
        vars()[_name] = _value


class SnapshotType(enum.IntEnum):
    """`Microsoft.HyperV.PowerShell.SnapshotType` (§4.4): production and standard checkpoints are both Standard."""

    _ignore_ = ["_name", "_value"]
    for _name, _value in _ENUMS["SnapshotType"].items():
        vars()[_name] = _value


#: The public members of `VMIntegrationComponentOperationalStatus`, for the serialized .NET enum.
PUBLIC_COMPONENT_STATUSES: tuple[ComponentStatus, ...] = tuple(
    ComponentStatus[name] for name in _ENUMS["VMIntegrationComponentOperationalStatus"]
)
