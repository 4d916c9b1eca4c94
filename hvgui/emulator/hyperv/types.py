"""The Hyper-V module's output objects as psrpcore PSType classes.

Each class carries the real .NET type names (most derived first, with its base classes) and the adapted
properties of the decompiled class, in declaration order (derived class first, as .NET reflection lists
them). Serialized by the protocol layer they look like a host's objects: `<TN>` with the type chain,
`<Props>` with the .NET properties, `<MS>` with the type-data aliases (`VMName`, `VMId`) and `<ToString>`.

Objects made here are *live*: they remember which VM (and component) they stand for, so a later command
of the same pipeline can bind them (`Get-VM x | Stop-VM`). A deserialized copy sent back by a client is a
different type (`Deserialized.Microsoft.HyperV.PowerShell.VirtualMachine`) and does not bind, as on a host.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from psrpcore.types import PSListBase, PSNoteProperty, PSObject, PSType

from hvgui.emulator.clixml_text import clixml_text

NS = "Microsoft.HyperV.PowerShell."
_OBJECTS_ASSEMBLY = (
    "Microsoft.HyperV.PowerShell.Objects, Version=10.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35"
)


def _props(*names: str) -> list[PSNoteProperty]:
    return [PSNoteProperty(name) for name in names]


@functools.cache
def array_type(*type_names: str) -> type[PSListBase]:
    """A list class serialized with the given type names (e.g. `System.String[]`, `System.Array`)."""

    @PSType(list(type_names), rehydrate=False)
    class _TypedList(PSListBase):
        pass

    _TypedList.__name__ = type_names[0].rsplit(".", 1)[-1]
    return _TypedList


def net_array(element_type: str, items: list[Any]) -> PSListBase:
    """A .NET array such as `VMOperationalStatus[]`."""
    return array_type(f"{element_type}[]", "System.Array")(items)


def generic_list(element_type: str, items: list[Any]) -> PSListBase:
    """A `List<T>` of Hyper-V objects; the elements are their ToString text (serialization depth 1)."""
    name = f"System.Collections.Generic.List`1[[{NS}{element_type}, {_OBJECTS_ASSEMBLY}]]"
    return array_type(name)(items)


def read_only_list(element_type: str, items: list[Any]) -> PSListBase:
    name = f"System.Collections.ObjectModel.ReadOnlyCollection`1[[{NS}{element_type}, {_OBJECTS_ASSEMBLY}]]"
    return array_type(name)(items)


def fill(obj: PSObject, values: dict[str, Any], to_string: str) -> PSObject:
    """Set every property of a freshly made object in one pass (psrpcore's setattr is O(properties)).

    Every property must have a value (None for $null): a missing one is a bug, not a silent $null.
    """
    meta = obj.PSObject
    for prop in (*meta.adapted_properties, *meta.extended_properties):
        prop.set_value(values[prop.name], obj)
    meta.to_string = clixml_text(to_string)
    return obj


def device_to_string(type_name: str, name: str, vm_name: str, device_id: str, vm_id: uuid.UUID) -> str:
    """`VirtualizationObject.ToString()` of a VM device: friendly identifiers, then unique ones."""
    return f"{type_name} (Name = '{name}', VMName = '{vm_name}') [Id = '{device_id}', VMId = '{vm_id}']"


VIRTUAL_MACHINE_PROPERTIES = (
    # VirtualMachine
    "ConfigurationLocation",
    "SmartPagingFileInUse",
    "SmartPagingFilePath",
    "SnapshotFileLocation",
    "AutomaticStartAction",
    "AutomaticStartDelay",
    "AutomaticStopAction",
    "AutomaticCriticalErrorAction",
    "AutomaticCriticalErrorActionTimeout",
    "AutomaticCheckpointsEnabled",
    "CPUUsage",
    "MemoryAssigned",
    "MemoryDemand",
    "MemoryStatus",
    "NumaAligned",
    "NumaNodesCount",
    "NumaSocketCount",
    "Heartbeat",
    "IntegrationServicesState",
    "IntegrationServicesVersion",
    "Uptime",
    "OperationalStatus",
    "PrimaryOperationalStatus",
    "SecondaryOperationalStatus",
    "StatusDescriptions",
    "PrimaryStatusDescription",
    "SecondaryStatusDescription",
    "Status",
    "ReplicationHealth",
    "ReplicationMode",
    "ReplicationState",
    "ResourceMeteringEnabled",
    "CheckpointType",
    "EnhancedSessionTransportType",
    "Groups",
    "Version",
    "VirtualMachineType",
    "VirtualMachineSubType",
    "Notes",
    "State",
    # VirtualMachineBase
    "ComPort1",
    "ComPort2",
    "DVDDrives",
    "FibreChannelHostBusAdapters",
    "FloppyDrive",
    "HardDrives",
    "RemoteFxAdapter",
    "VMIntegrationService",
    "DynamicMemoryEnabled",
    "MemoryMaximum",
    "MemoryMinimum",
    "MemoryStartup",
    "ProcessorCount",
    "BatteryPassthroughEnabled",
    "Generation",
    "IsClustered",
    "ParentSnapshotId",
    "ParentSnapshotName",
    "Path",
    "SizeOfSystemFiles",
    "GuestControlledCacheTypes",
    "LowMemoryMappedIoSpace",
    "HighMemoryMappedIoSpace",
    "LockOnDisconnect",
    # ComputeResource
    "CreationTime",
    "Id",
    "Name",
    "NetworkAdapters",
    # VirtualizationObject
    "CimSession",
    "ComputerName",
    "IsDeleted",
)

#: Type-data aliases a host adds to every VirtualMachine (present in the genuine CLIXML sample).
VIRTUAL_MACHINE_ALIASES = ("VMName", "VMId")


@PSType(
    [NS + "VirtualMachine", NS + "VirtualMachineBase", NS + "ComputeResource", NS + "VirtualizationObject"],
    adapted_properties=_props(*VIRTUAL_MACHINE_PROPERTIES),
    extended_properties=_props(*VIRTUAL_MACHINE_ALIASES),
    rehydrate=False,
)
class VirtualMachineObject(PSObject):
    """`Microsoft.HyperV.PowerShell.VirtualMachine`; `vm_id` links it back to the model."""

    vm_id: uuid.UUID


INTEGRATION_COMPONENT_PROPERTIES = (
    # VMIntegrationComponent
    "Enabled",
    "OperationalStatus",
    "PrimaryOperationalStatus",
    "PrimaryStatusDescription",
    "SecondaryOperationalStatus",
    "SecondaryStatusDescription",
    "StatusDescription",
    # VMDevice
    "Name",
    "Id",
    # VMComponentObject
    "VMId",
    "VMName",
    "VMSnapshotId",
    "VMSnapshotName",
    # VirtualizationObject
    "CimSession",
    "ComputerName",
    "IsDeleted",
)


@PSType(
    [NS + "VMIntegrationComponent", NS + "VMDevice", NS + "VMComponentObject", NS + "VirtualizationObject"],
    adapted_properties=_props(*INTEGRATION_COMPONENT_PROPERTIES),
    rehydrate=False,
)
class IntegrationComponentObject(PSObject):
    """Heartbeat, Time Synchronization and VSS are plain `VMIntegrationComponent` objects.

    `snapshot_id` is set when the component belongs to a checkpoint (Get-VMIntegrationService -VMSnapshot).
    """

    vm_id: uuid.UUID
    ic_guid: str
    snapshot_id: uuid.UUID | None = None


@PSType([NS + "ShutdownComponent"], rehydrate=False)
class ShutdownComponentObject(IntegrationComponentObject):
    pass


@PSType([NS + "DataExchangeComponent"], adapted_properties=_props("IsClustered"), rehydrate=False)
class DataExchangeComponentObject(IntegrationComponentObject):
    pass


@PSType([NS + "GuestServiceInterfaceComponent"], rehydrate=False)
class GuestServiceInterfaceComponentObject(IntegrationComponentObject):
    pass


VM_SNAPSHOT_PROPERTIES = (
    # VMSnapshot
    "SnapshotType",
    "IsAutomaticCheckpoint",
    "VMId",
    "VMName",
    "State",
    # VirtualMachineBase (State is overridden above)
    "ComPort1",
    "ComPort2",
    "DVDDrives",
    "FibreChannelHostBusAdapters",
    "FloppyDrive",
    "HardDrives",
    "RemoteFxAdapter",
    "VMIntegrationService",
    "DynamicMemoryEnabled",
    "MemoryMaximum",
    "MemoryMinimum",
    "MemoryStartup",
    "ProcessorCount",
    "BatteryPassthroughEnabled",
    "Generation",
    "IsClustered",
    "Notes",
    "ParentSnapshotId",
    "ParentSnapshotName",
    "Path",
    "SizeOfSystemFiles",
    "Version",
    "GuestControlledCacheTypes",
    "LowMemoryMappedIoSpace",
    "HighMemoryMappedIoSpace",
    "LockOnDisconnect",
    # ComputeResource
    "CreationTime",
    "Id",
    "Name",
    "NetworkAdapters",
    # VirtualizationObject
    "CimSession",
    "ComputerName",
    "IsDeleted",
)


@PSType(
    [NS + "VMSnapshot", NS + "VirtualMachineBase", NS + "ComputeResource", NS + "VirtualizationObject"],
    adapted_properties=_props(*VM_SNAPSHOT_PROPERTIES),
    rehydrate=False,
)
class VMSnapshotObject(PSObject):
    """`Microsoft.HyperV.PowerShell.VMSnapshot` (a checkpoint); `vm_id` and `snapshot_id` link it to the model."""

    vm_id: uuid.UUID
    snapshot_id: uuid.UUID


VM_HOST_PROPERTIES = (
    "LogicalProcessorCount",
    "ResourceMeteringSaveInterval",
    "HostNumaStatus",
    "NumaStatus",
    "IovSupport",
    "IovSupportReasons",
    "InternalNetworkAdapters",
    "ExternalNetworkAdapters",
    "SupportedVmVersions",
    "SecureBootTemplates",
    "EnableEnhancedSessionMode",
    "FibreChannelWwnn",
    "FibreChannelWwpnMaximum",
    "FibreChannelWwpnMinimum",
    "MacAddressMaximum",
    "MacAddressMinimum",
    "NumaSpanningEnabled",
    "VirtualHardDiskPath",
    "VirtualMachinePath",
    "FullyQualifiedDomainName",
    "MemoryCapacity",
    "Name",
    "MaximumStorageMigrations",
    "MaximumVirtualMachineMigrations",
    "UseAnyNetworkForMigration",
    "VirtualMachineMigrationAuthenticationType",
    "VirtualMachineMigrationEnabled",
    "VirtualMachineMigrationPerformanceOption",
    "CimSession",
    "ComputerName",
    "IsDeleted",
)


@PSType(
    [NS + "VMHost", NS + "VirtualizationObject"],
    adapted_properties=_props(*VM_HOST_PROPERTIES),
    rehydrate=False,
)
class VMHostObject(PSObject):
    pass


_SESSION_PROPERTIES = (
    "Id", "Name", "ComputerName", "ComputerType", "State", "ConfigurationName", "Availability", "VMId", "VMName",
    "InstanceId",
)  # fmt: skip


@PSType(
    ["System.Management.Automation.Runspaces.PSSession"],
    adapted_properties=_props(*_SESSION_PROPERTIES),
    rehydrate=False,
)
class PSSessionObject(PSObject):
    """A PowerShell Direct session (`New-PSSession -VMId`), as the engine's PSSession shows it."""


class ScriptBlockObject:
    """A constant script block of hvgui's host module, as a function body hands it to `Invoke-Command`.

    The emulator runs no PowerShell: each script block the module passes is known by `key` and has a Python
    body (`guest_scripts.GUEST_SCRIPTS`). A client that sends a script block as text gets what a host gives
    for a string where a ScriptBlock is wanted: a binding error.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"ScriptBlockObject({self.key!r})"
