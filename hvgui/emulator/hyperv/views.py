"""How the model looks to PowerShell: the output objects of Get-VM, Get-VMIntegrationService, Get-VMHost.

Values follow the decompiled property getters (hyperv-api.md §4): `Heartbeat` is $null when Off, memory
figures are Int64 bytes, `Uptime` a TimeSpan, `IntegrationServicesVersion` the hard-coded `0.0` of the
current module and `IntegrationServicesState` empty. Nested Hyper-V objects (network adapters, drives,
integration services, COM ports) appear as their ToString text, which is what a client receives of them at
the default serialization depth of 1 (plausible WS2022 behaviour).

Call these with the host's lock held so one object shows one consistent moment.
"""

from __future__ import annotations

import datetime
import uuid

from psrpcore.types import PSDateTime, PSInt64, PSUInt, PSUInt64, PSVersion

from . import checkpoints, enums
from . import components as ic
from .checkpoints import Snapshot
from .host import HostModel
from .reference import VmState
from .types import (
    NS,
    DataExchangeComponentObject,
    GuestServiceInterfaceComponentObject,
    IntegrationComponentObject,
    ShutdownComponentObject,
    VirtualMachineObject,
    VMHostObject,
    VMSnapshotObject,
    device_to_string,
    fill,
    generic_list,
    net_array,
    read_only_list,
)
from .vm import EmulatedVm

#: plausible WS2022 behaviour: the ToString of a CimSession the module created for the local host.
CIM_SESSION_TEXT = "CimSession: ."
_EMPTY_GUID = uuid.UUID(int=0)
_COMPONENT_CLASSES: dict[str, type[IntegrationComponentObject]] = {
    ic.SHUTDOWN.ic_guid: ShutdownComponentObject,
    ic.KVP.ic_guid: DataExchangeComponentObject,
    ic.GUEST_SERVICE_INTERFACE.ic_guid: GuestServiceInterfaceComponentObject,
}
_COMPONENT_TYPE_NAMES = {
    ic.SHUTDOWN.ic_guid: "ShutdownComponent",
    ic.KVP.ic_guid: "DataExchangeComponent",
    ic.GUEST_SERVICE_INTERFACE.ic_guid: "GuestServiceInterfaceComponent",
}


def _ps_datetime(value: datetime.datetime) -> PSDateTime:
    return PSDateTime(
        value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, value.tzinfo
    )


def component_id(vm: EmulatedVm, ic_guid: str) -> str:
    """`Microsoft:<VM GUID>\\<IC GUID>`, both upper case."""
    return f"Microsoft:{str(vm.id).upper()}\\{ic_guid}"


def _owner_id(vm: EmulatedVm, snapshot: Snapshot | None) -> str:
    """Whose settings a device belongs to: the VM's, or a checkpoint's (its own configuration id)."""
    return str(snapshot.id if snapshot is not None else vm.id).upper()


def _device(
    vm: EmulatedVm, type_name: str, name: str, kind: str, suffix: str = "", snapshot: Snapshot | None = None
) -> str:
    device_id = f"Microsoft:{_owner_id(vm, snapshot)}\\{vm.device_id(kind)}{suffix}"
    return device_to_string(type_name, name, vm.name, device_id, vm.id)


def _component_to_string(host: HostModel, vm: EmulatedVm, ic_guid: str, snapshot: Snapshot | None = None) -> str:
    type_name = _COMPONENT_TYPE_NAMES.get(ic_guid, "VMIntegrationComponent")
    name = host.texts.component_names[ic_guid]
    device_id = f"Microsoft:{_owner_id(vm, snapshot)}\\{ic_guid}"
    return device_to_string(type_name, name, vm.name, device_id, vm.id)


def vm_to_string(vm: EmulatedVm) -> str:
    """`VirtualMachine (Name = 'x') [Id = 'guid']`, the name verbatim (no escaping, like String.Format)."""
    return f"VirtualMachine (Name = '{vm.name}') [Id = '{vm.id}']"


def vm_object(host: HostModel, vm: EmulatedVm, now: float) -> VirtualMachineObject:
    """A full `VirtualMachine` as Get-VM writes it."""
    hw = vm.hardware
    state = vm.state(now)
    running = vm.has_runtime_components(now)
    heartbeat = vm.heartbeat(now)
    status_text = host.texts.operating_normally
    controller = "SCSI" if hw.generation == 2 else "IDE"
    dvd_location = "at location 1" if hw.generation == 2 else "at location 0"
    dvd_controller = "number 0" if hw.generation == 2 else "number 1"
    parent = checkpoints.find(vm, vm.parent_snapshot_id)
    values = {
        "ConfigurationLocation": hw.path,
        "SmartPagingFileInUse": False,
        "SmartPagingFilePath": hw.path,
        "SnapshotFileLocation": hw.path,
        "AutomaticStartAction": enums.StartAction.StartIfRunning,
        "AutomaticStartDelay": 0,
        "AutomaticStopAction": enums.StopAction.Save,
        "AutomaticCriticalErrorAction": enums.CriticalErrorAction.Pause,
        "AutomaticCriticalErrorActionTimeout": 30,
        "AutomaticCheckpointsEnabled": hw.automatic_checkpoints,
        "CPUUsage": vm.cpu_usage(now),
        "MemoryAssigned": PSInt64(vm.memory_assigned(now)),
        "MemoryDemand": PSInt64(vm.memory_demand(now)),
        "MemoryStatus": "OK" if hw.dynamic_memory and running else "",
        # plausible WS2022 behaviour: NUMA alignment is only known while the VM has memory assigned.
        "NumaAligned": True if running else None,
        "NumaNodesCount": 1,
        "NumaSocketCount": 1,
        "Heartbeat": enums.VMHeartbeatStatus(heartbeat.value) if heartbeat is not None else None,
        "IntegrationServicesState": "",
        "IntegrationServicesVersion": PSVersion("0.0"),
        "Uptime": datetime.timedelta(seconds=round(vm.uptime(now), 3)),
        "OperationalStatus": net_array(NS + "VMOperationalStatus", [enums.VMOperationalStatus.Ok]),
        "PrimaryOperationalStatus": enums.VMOperationalStatus.Ok,
        "SecondaryOperationalStatus": None,
        "StatusDescriptions": net_array("System.String", [status_text]),
        "PrimaryStatusDescription": status_text,
        "SecondaryStatusDescription": None,
        "Status": status_text,
        "ReplicationHealth": enums.VMReplicationHealthState.NotApplicable,
        "ReplicationMode": enums.VMReplicationMode["None"],
        "ReplicationState": enums.VMReplicationState.Disabled,
        "ResourceMeteringEnabled": False,
        "CheckpointType": enums.CheckpointType(hw.checkpoint_type.value),
        "EnhancedSessionTransportType": enums.EnhancedSessionTransportType.VMBus,
        "Groups": read_only_list("VMGroup", []),
        "Version": hw.version,
        "VirtualMachineType": enums.VirtualMachineType.RealizedVirtualMachine,
        "VirtualMachineSubType": enums.VirtualMachineSubType(hw.generation),
        "Notes": hw.notes,
        "State": enums.VMState(state.value),
        "ComPort1": _device(vm, "VMComPort", "COM 1", "com1"),
        "ComPort2": _device(vm, "VMComPort", "COM 2", "com2"),
        "DVDDrives": net_array(
            NS + "DvdDrive",
            [_device(vm, "DvdDrive", f"DVD Drive on {controller} controller {dvd_controller} {dvd_location}", "dvd")],
        ),
        "FibreChannelHostBusAdapters": generic_list("VMFibreChannelHba", []),
        "FloppyDrive": _device(vm, "VMFloppyDiskDrive", "Diskette Drive", "floppy") if hw.generation == 1 else None,
        "HardDrives": net_array(
            NS + "HardDiskDrive",
            [_device(vm, "HardDiskDrive", f"Hard Drive on {controller} controller number 0 at location 0", "disk0")],
        ),
        "RemoteFxAdapter": None,
        "VMIntegrationService": generic_list(
            "VMIntegrationComponent", [_component_to_string(host, vm, guid) for guid in vm.components]
        ),
        "DynamicMemoryEnabled": hw.dynamic_memory,
        "MemoryMaximum": PSInt64(hw.memory_maximum),
        "MemoryMinimum": PSInt64(hw.memory_minimum),
        "MemoryStartup": PSInt64(hw.memory_startup),
        "ProcessorCount": PSInt64(hw.processor_count),
        "BatteryPassthroughEnabled": False,
        "Generation": hw.generation,
        "IsClustered": hw.is_clustered,
        "ParentSnapshotId": parent.id if parent is not None else None,
        "ParentSnapshotName": parent.name if parent is not None else None,
        "Path": hw.path,
        "SizeOfSystemFiles": PSInt64(45056 + (hw.memory_startup if state is VmState.Saved else 0)),
        "GuestControlledCacheTypes": False,
        "LowMemoryMappedIoSpace": PSUInt(134217728),
        "HighMemoryMappedIoSpace": PSUInt64(536870912),
        "LockOnDisconnect": enums.OnOffState.Off,
        "CreationTime": _ps_datetime(hw.creation_time),
        "Id": vm.id,
        "Name": vm.name,
        "NetworkAdapters": generic_list(
            "VMNetworkAdapter", [_device(vm, "VMNetworkAdapter", "Network Adapter", "nic0")]
        ),
        "CimSession": CIM_SESSION_TEXT,
        "ComputerName": host.name,
        "IsDeleted": False,
        "VMName": vm.name,
        "VMId": vm.id,
    }
    obj = fill(VirtualMachineObject(), values, vm_to_string(vm))
    obj.vm_id = vm.id
    return obj


def component_object(
    host: HostModel, vm: EmulatedVm, ic_guid: str, now: float, snapshot: Snapshot | None = None
) -> IntegrationComponentObject:
    """One `VMIntegrationComponent` (or its Shutdown / DataExchange / GuestServiceInterface subclass).

    A checkpoint's components carry its id and name and, since nothing runs them, no status.
    """
    if snapshot is None:
        enabled = vm.components[ic_guid].enabled
        statuses = [enums.VMIntegrationComponentOperationalStatus(s.value) for s in vm.component_status(ic_guid, now)]
        texts = list(vm.component_descriptions(ic_guid, now, host.texts))
    else:
        enabled, statuses, texts = snapshot.components_enabled[ic_guid], [], []
    values = {
        "Enabled": enabled,
        "OperationalStatus": net_array(NS + "VMIntegrationComponentOperationalStatus", statuses),
        "PrimaryOperationalStatus": statuses[0] if statuses else None,
        "PrimaryStatusDescription": texts[0] if texts else None,
        "SecondaryOperationalStatus": statuses[1] if len(statuses) > 1 else None,
        "SecondaryStatusDescription": texts[1] if len(texts) > 1 else None,
        "StatusDescription": net_array("System.String", texts),
        "Name": host.texts.component_names[ic_guid],
        "Id": f"Microsoft:{_owner_id(vm, snapshot)}\\{ic_guid}",
        "VMId": vm.id,
        "VMName": vm.name,
        "VMSnapshotId": snapshot.id if snapshot is not None else _EMPTY_GUID,
        "VMSnapshotName": snapshot.name if snapshot is not None else "",
        "CimSession": CIM_SESSION_TEXT,
        "ComputerName": host.name,
        "IsDeleted": False,
        "IsClustered": vm.hardware.is_clustered,
    }
    cls = _COMPONENT_CLASSES.get(ic_guid, IntegrationComponentObject)
    obj = fill(cls(), values, _component_to_string(host, vm, ic_guid, snapshot))
    obj.vm_id = vm.id
    obj.ic_guid = ic_guid
    obj.snapshot_id = snapshot.id if snapshot is not None else None
    return obj


def snapshot_to_string(snapshot: Snapshot) -> str:
    """`VMSnapshot (Name = 'x') [Id = 'guid']`: VMSnapshot declares no identifiers of its own."""
    return f"VMSnapshot (Name = '{snapshot.name}') [Id = '{snapshot.id}']"


def snapshot_object(host: HostModel, vm: EmulatedVm, snapshot: Snapshot) -> VMSnapshotObject:
    """A `VMSnapshot` as Get-VMSnapshot and Checkpoint-VM -Passthru write it: the VM's settings as they were."""
    hw = snapshot.hardware
    controller = "SCSI" if hw.generation == 2 else "IDE"
    dvd_location = "at location 1" if hw.generation == 2 else "at location 0"
    dvd_controller = "number 0" if hw.generation == 2 else "number 1"
    parent = checkpoints.find(vm, snapshot.parent_id)
    dvd = f"DVD Drive on {controller} controller {dvd_controller} {dvd_location}"
    values = {
        "SnapshotType": enums.SnapshotType.Standard,
        "IsAutomaticCheckpoint": snapshot.automatic,
        "VMId": vm.id,
        "VMName": vm.name,
        "State": enums.VMState.Saved if snapshot.saved_state else enums.VMState.Off,
        "ComPort1": _device(vm, "VMComPort", "COM 1", "com1", snapshot=snapshot),
        "ComPort2": _device(vm, "VMComPort", "COM 2", "com2", snapshot=snapshot),
        "DVDDrives": net_array(NS + "DvdDrive", [_device(vm, "DvdDrive", dvd, "dvd", snapshot=snapshot)]),
        "FibreChannelHostBusAdapters": generic_list("VMFibreChannelHba", []),
        "FloppyDrive": (
            _device(vm, "VMFloppyDiskDrive", "Diskette Drive", "floppy", snapshot=snapshot)
            if hw.generation == 1
            else None
        ),
        "HardDrives": net_array(
            NS + "HardDiskDrive",
            [
                _device(
                    vm,
                    "HardDiskDrive",
                    f"Hard Drive on {controller} controller number 0 at location 0",
                    "disk0",
                    snapshot=snapshot,
                )
            ],
        ),
        "RemoteFxAdapter": None,
        "VMIntegrationService": generic_list(
            "VMIntegrationComponent",
            [_component_to_string(host, vm, guid, snapshot) for guid in snapshot.components_enabled],
        ),
        "DynamicMemoryEnabled": hw.dynamic_memory,
        "MemoryMaximum": PSInt64(hw.memory_maximum),
        "MemoryMinimum": PSInt64(hw.memory_minimum),
        "MemoryStartup": PSInt64(hw.memory_startup),
        "ProcessorCount": PSInt64(hw.processor_count),
        "BatteryPassthroughEnabled": False,
        "Generation": hw.generation,
        "IsClustered": hw.is_clustered,
        "Notes": hw.notes,
        "ParentSnapshotId": parent.id if parent is not None else None,
        "ParentSnapshotName": parent.name if parent is not None else None,
        "Path": hw.path,
        # plausible WS2022 behaviour: a saved state adds the memory size to the system files.
        "SizeOfSystemFiles": PSInt64(45056 + (hw.memory_startup if snapshot.saved_state else 0)),
        "Version": hw.version,
        "GuestControlledCacheTypes": False,
        "LowMemoryMappedIoSpace": PSUInt(134217728),
        "HighMemoryMappedIoSpace": PSUInt64(536870912),
        "LockOnDisconnect": enums.OnOffState.Off,
        "CreationTime": _ps_datetime(snapshot.created),
        "Id": snapshot.id,
        "Name": snapshot.name,
        "NetworkAdapters": generic_list(
            "VMNetworkAdapter", [_device(vm, "VMNetworkAdapter", "Network Adapter", "nic0", snapshot=snapshot)]
        ),
        "CimSession": CIM_SESSION_TEXT,
        "ComputerName": host.name,
        "IsDeleted": False,
    }
    obj = fill(VMSnapshotObject(), values, snapshot_to_string(snapshot))
    obj.vm_id = vm.id
    obj.snapshot_id = snapshot.id
    return obj


def host_object(host: HostModel) -> VMHostObject:
    s = host.settings
    values = {
        "LogicalProcessorCount": s.logical_processor_count,
        "ResourceMeteringSaveInterval": datetime.timedelta(hours=1),
        "HostNumaStatus": net_array(
            NS + "VMHostNumaNode", [f"VMHostNumaNode (NodeId = '0') [ComputerName = '{host.name}']"]
        ),
        "NumaStatus": net_array(NS + "VMNumaNodeStatus", []),
        "IovSupport": False,
        "IovSupportReasons": net_array("System.String", ["This network adapter does not support SR-IOV."]),
        "InternalNetworkAdapters": generic_list("VMInternalNetworkAdapter", []),
        "ExternalNetworkAdapters": generic_list("VMExternalNetworkAdapter", []),
        "SupportedVmVersions": read_only_list("System.String", list(s.supported_vm_versions)),
        "SecureBootTemplates": read_only_list("SecureBootTemplate", []),
        "EnableEnhancedSessionMode": False,
        "FibreChannelWwnn": "C003FF0000FFFF00",
        "FibreChannelWwpnMaximum": "C003FFFBEAE1FFFF",
        "FibreChannelWwpnMinimum": "C003FFFBEAE10000",
        "MacAddressMaximum": s.mac_address_maximum,
        "MacAddressMinimum": s.mac_address_minimum,
        "NumaSpanningEnabled": True,
        "VirtualHardDiskPath": s.virtual_hard_disk_path,
        "VirtualMachinePath": s.virtual_machine_path,
        # Win32_ComputerSystem.Domain: the domain name (WORKGROUP outside a domain), not the host's FQDN.
        "FullyQualifiedDomainName": host.domain or "WORKGROUP",
        "MemoryCapacity": PSInt64(s.memory_capacity),
        "Name": host.name,
        "MaximumStorageMigrations": PSUInt(2),
        "MaximumVirtualMachineMigrations": PSUInt(2),
        "UseAnyNetworkForMigration": False,
        "VirtualMachineMigrationAuthenticationType": enums.MigrationAuthenticationType.CredSSP,
        "VirtualMachineMigrationEnabled": False,
        "VirtualMachineMigrationPerformanceOption": enums.VMMigrationPerformance.TCPIP,
        "CimSession": CIM_SESSION_TEXT,
        "ComputerName": host.name,
        "IsDeleted": False,
    }
    # VMHost's Name is both its unique and its friendly identifier, so ToString lists it once.
    return fill(VMHostObject(), values, f"VMHost (Name = '{host.name}')")
