"""The WMI provider of `root/virtualization/v2`: the model seen as instances of the classes in `schema`.

Values are read from the model (VMs, their components, checkpoints, the guest's KVP items) at one moment,
under the host's lock, and mapped to what the Hyper-V provider reports:

- `EnabledState` holds the VM's state number (the module's `VMComputerSystemState` uses the same numbers as
  `VMState`); a `*Critical` state is its base state with `HealthState` 25 instead of 5, which is how the
  module tells them apart (DEC `VirtualMachine.State`, `CriticalStateConverter`).
- `Msvm_SummaryInformation.Heartbeat`/`ApplicationHealth` are the codes the module turns into
  `VMHeartbeatStatus` (hyperv-api.md §5); `UpTime` is milliseconds, `MemoryUsage` MB.
- Component devices exist only while the VM's worker process runs; their setting data always, also for
  each checkpoint (`InstanceID` then names the checkpoint).
- A clustered VM carries the host-only KVP item `VirtualMachineIsClustered`, which is what the module's
  `DataExchangeComponent.IsClustered` looks for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .. import kvp
from ..host import HostModel
from ..reference import HeartbeatStatus, VmState
from ..vm import EmulatedVm
from . import schema
from .schema import CimClass

MIB = 1024 * 1024
INT_MAX = 2**31 - 1
HEALTH_OK = 5
HEALTH_CRITICAL = 25
REALIZED = "Microsoft:Hyper-V:System:Realized"
SNAPSHOT_REALIZED = "Microsoft:Hyper-V:Snapshot:Realized"

#: `*Critical` VMState -> the EnabledState the provider reports with HealthState 25.
_CRITICAL_BASE = {
    VmState.RunningCritical: VmState.Running,
    VmState.OffCritical: VmState.Off,
    VmState.StoppingCritical: VmState.Stopping,
    VmState.SavedCritical: VmState.Saved,
    VmState.PausedCritical: VmState.Paused,
    VmState.StartingCritical: VmState.Starting,
    VmState.ResetCritical: VmState.Reset,
    VmState.SavingCritical: VmState.Saving,
    VmState.PausingCritical: VmState.Pausing,
    VmState.ResumingCritical: VmState.Resuming,
    VmState.FastSavedCritical: VmState.FastSaved,
    VmState.FastSavingCritical: VmState.FastSaving,
}

#: VMHeartbeatStatus -> (Msvm_SummaryInformation.Heartbeat, ApplicationHealth), the inverse of the module's
#: `GetHeartbeatStatus` (hyperv-api.md §5).
_HEARTBEAT_CODES: dict[HeartbeatStatus, tuple[int, int | None]] = {
    HeartbeatStatus.Unknown: (0, None),
    HeartbeatStatus.Disabled: (32896, None),
    HeartbeatStatus.NoContact: (12, None),
    HeartbeatStatus.Error: (6, None),
    HeartbeatStatus.LostCommunication: (13, None),
    # plausible WS2022 behaviour: a guest that reports no application health leaves ApplicationHealth null.
    HeartbeatStatus.OkApplicationsUnknown: (2, None),
    HeartbeatStatus.OkApplicationsHealthy: (2, 2),
    HeartbeatStatus.OkApplicationsCritical: (2, 32782),
    HeartbeatStatus.Paused: (15, None),
}

#: plausible WS2022 behaviour: the en-US ElementName of the management service and the host system's Caption.
MANAGEMENT_SERVICE_NAME = "vmms"
MANAGEMENT_SERVICE_TEXT = "Virtual Machine Management Service"


def vm_key(vm: EmulatedVm) -> str:
    """The VM GUID as the provider writes it (`Msvm_ComputerSystem.Name`): upper case."""
    return str(vm.id).upper()


#: One `Msvm_KvpExchangeDataItem` as embedded-instance XML (hyperv-api.md §6.3).
kvp_item_xml = kvp.item_xml


def vm_state(vm: EmulatedVm, now: float) -> tuple[int, int]:
    """(EnabledState, HealthState)."""
    state = vm.state(now)
    base = _CRITICAL_BASE.get(state)
    return (int(base.value), HEALTH_CRITICAL) if base is not None else (int(state.value), HEALTH_OK)


def _computer_systems(model: HostModel, now: float) -> Iterator[dict[str, Any]]:
    # The host's own instance comes first; scripts skip it with `Caption = 'Virtual Machine'`.
    yield {
        "Caption": "Hosting Computer System",
        "Description": "Microsoft Hosting Computer System",
        "ElementName": model.name,
        "OperationalStatus": [2],
        "StatusDescriptions": [model.texts.ok],
        "HealthState": HEALTH_OK,
        "EnabledState": 2,
        "RequestedState": 12,
        "EnabledDefault": 2,
        "CreationClassName": "Msvm_ComputerSystem",
        "Name": model.name,
        "NumberOfNumaNodes": 1,
    }
    for vm in model.vms:
        enabled, health = vm_state(vm, now)
        yield {
            "Caption": "Virtual Machine",
            "Description": "Microsoft Virtual Machine",
            "ElementName": vm.name,
            "InstallDate": vm.hardware.creation_time,
            "OperationalStatus": [2],
            "StatusDescriptions": [model.texts.operating_normally],
            "HealthState": health,
            "EnabledState": enabled,
            "RequestedState": 12,  # plausible WS2022 behaviour: "Not Applicable" once a request completed
            "EnabledDefault": 2,
            "CreationClassName": "Msvm_ComputerSystem",
            "Name": vm_key(vm),
            "OnTimeInMilliseconds": int(vm.uptime(now) * 1000),
            "NumberOfNumaNodes": 1,
        }


def _summaries(model: HostModel, now: float) -> Iterator[dict[str, Any]]:
    for vm in model.vms:
        hw = vm.hardware
        enabled, health = vm_state(vm, now)
        heartbeat = vm.heartbeat(now)
        beat, application = _HEARTBEAT_CODES[heartbeat] if heartbeat is not None else (None, None)
        yield {
            "InstanceID": f"Microsoft:{vm_key(vm)}",
            "Name": vm_key(vm),
            "ElementName": vm.name,
            "CreationTime": hw.creation_time,
            "Notes": hw.notes,
            "NumberOfProcessors": hw.processor_count,
            "Version": hw.version,
            "Shielded": False,
            "EnabledState": enabled,
            "ProcessorLoad": vm.cpu_usage(now),
            "MemoryUsage": vm.memory_assigned(now) // MIB,
            "Heartbeat": beat,
            "UpTime": int(vm.uptime(now) * 1000),
            "HealthState": health,
            "OperationalStatus": [2],
            "StatusDescriptions": [model.texts.operating_normally],
            "MemoryAvailable": _memory_available(vm, now),
            "AvailableMemoryBuffer": INT_MAX,
            "ReplicationMode": 0,
            "ApplicationHealth": application,
            "SwapFilesInUse": False,
            "IntegrationServicesVersionState": 0,
            "MemorySpansPhysicalNumaNodes": False,
            "EnhancedSessionModeState": 3,
            "VirtualSystemSubType": f"Microsoft:Hyper-V:SubType:{hw.generation}",
            "HostComputerSystemName": model.name,
        }


def _memory_available(vm: EmulatedVm, now: float) -> int:
    """Per cent of the assigned memory the guest does not demand; int.MaxValue (not valid) without dynamic
    memory or while the VM does not run (the module's MemoryDemand is then 0)."""
    demand, assigned = vm.memory_demand(now), vm.memory_assigned(now)
    if demand <= 0 or assigned <= 0:
        return INT_MAX
    return max(0, min(100, (assigned - demand) * 100 // assigned))


def _setting_data(model: HostModel, now: float) -> Iterator[dict[str, Any]]:
    for vm in model.vms:
        for owner_id, name, hw, kind, parent, saved, automatic, created in _configurations(vm):
            yield {
                "Caption": "Virtual Machine Settings" if kind == REALIZED else "Snapshot Settings",
                "Description": (
                    "Active settings for the virtual machine"
                    if kind == REALIZED
                    else "Snapshot settings for the virtual machine"
                ),
                "ElementName": name,
                "InstanceID": f"Microsoft:{owner_id}",
                "VirtualSystemIdentifier": vm_key(vm),
                "ConfigurationID": owner_id,
                "VirtualSystemType": kind,
                "VirtualSystemSubType": f"Microsoft:Hyper-V:SubType:{hw.generation}",
                "Version": hw.version,
                "UserSnapshotType": int(hw.checkpoint_type.value),
                "Notes": [hw.notes],
                "Parent": parent,
                "IsSaved": saved,
                "AutomaticSnapshotsEnabled": hw.automatic_checkpoints,
                "IsAutomaticSnapshot": automatic,
                "CreationTime": created,
                "ConfigurationDataRoot": hw.path,
                "SnapshotDataRoot": hw.path,
                "SwapFileDataRoot": hw.path,
                "AutomaticStartupAction": 3,
                "AutomaticShutdownAction": 3,
                "EnhancedSessionTransportType": 0,
            }


def _configurations(vm: EmulatedVm) -> Iterator[tuple]:
    """(owner id, name, hardware, VirtualSystemType, Parent, IsSaved, IsAutomaticSnapshot, CreationTime)."""
    parent = f"Microsoft:{str(vm.parent_snapshot_id).upper()}" if vm.parent_snapshot_id else None
    yield vm_key(vm), vm.name, vm.hardware, REALIZED, parent, False, False, vm.hardware.creation_time
    for snap in vm.snapshots:
        snap_parent = f"Microsoft:{str(snap.parent_id).upper()}" if snap.parent_id else None
        yield (
            str(snap.id).upper(),
            snap.name,
            snap.hardware,
            SNAPSHOT_REALIZED,
            snap_parent,
            snap.saved_state,
            snap.automatic,
            snap.created,
        )


def _devices(ic_guid: str) -> Callable[[HostModel, float], Iterator[dict[str, Any]]]:
    cim_class = schema.component_class(ic_guid)
    is_kvp = schema.COMPONENT_STEMS[ic_guid] == "KvpExchange"

    def rows(model: HostModel, now: float) -> Iterator[dict[str, Any]]:
        name = model.texts.component_names[ic_guid]
        if is_kvp:
            kvp.settle(model, now)
        for vm in model.vms:
            if not vm.has_runtime_components(now):
                continue
            enabled = vm.components[ic_guid].enabled
            row = {
                "Caption": name,
                "Description": f"Microsoft {name}",  # plausible WS2022 behaviour
                "ElementName": name,
                "OperationalStatus": [int(s.value) for s in vm.component_status(ic_guid, now)],
                "StatusDescriptions": list(vm.component_descriptions(ic_guid, now, model.texts)),
                "HealthState": HEALTH_OK,
                # plausible WS2022 behaviour: the device reports the setting's switch (2 running, 3 turned off).
                "EnabledState": 2 if enabled else 3,
                "RequestedState": 12,
                "EnabledDefault": 7,
                "SystemCreationClassName": "Msvm_ComputerSystem",
                "SystemName": vm_key(vm),
                "CreationClassName": cim_class.name,
                "DeviceID": f"Microsoft:{vm_key(vm)}\\{ic_guid}",
            }
            if is_kvp:
                items = vm.kvp_intrinsic_items(now)
                row["GuestIntrinsicExchangeItems"] = [kvp_item_xml(k, v, 2) for k, v in items.items()]
                published = vm.kvp_guest_items(now)
                row["GuestExchangeItems"] = [kvp_item_xml(k, v, 1) for k, v in published.items()]
            yield row

    return rows


def _settings(ic_guid: str) -> Callable[[HostModel, float], Iterator[dict[str, Any]]]:
    stem = schema.COMPONENT_STEMS[ic_guid]

    def rows(model: HostModel, now: float) -> Iterator[dict[str, Any]]:
        name = model.texts.component_names[ic_guid]
        if stem == "KvpExchange":
            kvp.settle(model, now)
        for vm in model.vms:
            owners = [(vm_key(vm), vm.components[ic_guid].enabled, vm.hardware, True)]
            owners += [(str(s.id).upper(), s.components_enabled[ic_guid], s.hardware, False) for s in vm.snapshots]
            for owner_id, enabled, hw, realized in owners:
                row = {
                    "Caption": name,
                    "Description": f"Microsoft {name}",  # plausible WS2022 behaviour
                    "ElementName": name,
                    "InstanceID": f"Microsoft:{owner_id}\\{ic_guid}",
                    "ResourceType": 1,
                    "OtherResourceType": f"Microsoft {name} Component",
                    "EnabledState": 2 if enabled else 3,
                }
                if stem == "Heartbeat":
                    row.update(Interval=2000, Latency=1000, ErrorThreshold=2)
                elif stem == "KvpExchange":
                    host_only = [kvp_item_xml("VirtualMachineIsClustered", "true", 4)] if hw.is_clustered else []
                    # plausible WS2022 behaviour: a checkpoint's setting data lists no items of its own.
                    pools = vm.kvp if realized else None
                    host_items = [kvp_item_xml(k, v, 0) for k, v in pools.host_items.items()] if pools else []
                    if pools:
                        host_only += [kvp_item_xml(k, v, 4) for k, v in pools.host_only.items()]
                    row.update(HostExchangeItems=host_items, HostOnlyItems=host_only, DisableHostKVPItems=False)
                yield row

    return rows


def _management_service(model: HostModel, now: float) -> Iterator[dict[str, Any]]:
    yield {
        "Caption": MANAGEMENT_SERVICE_TEXT,
        "Description": "Service for managing virtual machines",
        "ElementName": MANAGEMENT_SERVICE_TEXT,
        "EnabledState": 2,
        "HealthState": HEALTH_OK,
        "CreationClassName": "Msvm_VirtualSystemManagementService",
        "Name": MANAGEMENT_SERVICE_NAME,
        "SystemCreationClassName": "Msvm_ComputerSystem",
        "SystemName": model.name,
        "Started": True,
    }


def _jobs(model: HostModel, now: float) -> Iterator[dict[str, Any]]:
    # Jobs of the model's state changes complete within the cmdlet that starts them; the KVP methods' jobs are
    # the ones left to list.
    return iter(kvp.job_rows(model, now))


ROWS: dict[str, Callable[[HostModel, float], Iterator[dict[str, Any]]]] = {
    schema.COMPUTER_SYSTEM.name: _computer_systems,
    schema.SUMMARY_INFORMATION.name: _summaries,
    schema.VIRTUAL_SYSTEM_SETTING_DATA.name: _setting_data,
    schema.CONCRETE_JOB.name: _jobs,
    schema.MANAGEMENT_SERVICE.name: _management_service,
    **{schema.component_class(g).name: _devices(g) for g in schema.COMPONENT_STEMS},
    **{schema.setting_class(g).name: _settings(g) for g in schema.COMPONENT_STEMS},
}


def rows(model: HostModel, cim_class: CimClass, now: float) -> Iterator[dict[str, Any]]:
    """Every instance of a class, all properties (call with the host's lock held)."""
    return ROWS[cim_class.name](model, now)
