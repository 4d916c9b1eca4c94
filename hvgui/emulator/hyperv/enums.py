"""The .NET enums of the Hyper-V PowerShell module, as psrpcore enum types.

Members and values come from the decompiled `Microsoft.HyperV.PowerShell.Objects` assembly (see
`/work/shared/reference/hyperv-api.md` §4). Serialized, each value carries its real type name, its member
name as `<ToString>` and its number, exactly like a host's CLIXML. The enums the model also uses take their
values from the vendored reference (`reference.py`, `reference_data.json`), so the model and the wire agree.
"""

from __future__ import annotations

from psrpcore.types import PSEnumBase, PSType

from .reference import CheckpointType as ModelCheckpointType
from .reference import ComponentStatus, HeartbeatStatus, VmState
from .reference import SnapshotType as ModelSnapshotType

_NS = "Microsoft.HyperV.PowerShell."


@PSType([_NS + "VMState"], rehydrate=False)
class VMState(PSEnumBase):
    Other = VmState.Other.value
    Running = VmState.Running.value
    Off = VmState.Off.value
    Stopping = VmState.Stopping.value
    Saved = VmState.Saved.value
    Paused = VmState.Paused.value
    Starting = VmState.Starting.value
    Reset = VmState.Reset.value
    Saving = VmState.Saving.value
    Pausing = VmState.Pausing.value
    Resuming = VmState.Resuming.value
    FastSaved = VmState.FastSaved.value
    FastSaving = VmState.FastSaving.value
    ForceShutdown = VmState.ForceShutdown.value
    ForceReboot = VmState.ForceReboot.value
    Hibernated = VmState.Hibernated.value
    ComponentServicing = VmState.ComponentServicing.value
    RunningCritical = VmState.RunningCritical.value
    OffCritical = VmState.OffCritical.value
    StoppingCritical = VmState.StoppingCritical.value
    SavedCritical = VmState.SavedCritical.value
    PausedCritical = VmState.PausedCritical.value
    StartingCritical = VmState.StartingCritical.value
    ResetCritical = VmState.ResetCritical.value
    SavingCritical = VmState.SavingCritical.value
    PausingCritical = VmState.PausingCritical.value
    ResumingCritical = VmState.ResumingCritical.value
    FastSavedCritical = VmState.FastSavedCritical.value
    FastSavingCritical = VmState.FastSavingCritical.value


@PSType([_NS + "VMHeartbeatStatus"], rehydrate=False)
class VMHeartbeatStatus(PSEnumBase):
    Unknown = HeartbeatStatus.Unknown.value
    Disabled = HeartbeatStatus.Disabled.value
    NoContact = HeartbeatStatus.NoContact.value
    Error = HeartbeatStatus.Error.value
    LostCommunication = HeartbeatStatus.LostCommunication.value
    OkApplicationsUnknown = HeartbeatStatus.OkApplicationsUnknown.value
    OkApplicationsHealthy = HeartbeatStatus.OkApplicationsHealthy.value
    OkApplicationsCritical = HeartbeatStatus.OkApplicationsCritical.value
    Paused = HeartbeatStatus.Paused.value


@PSType([_NS + "VMOperationalStatus"], rehydrate=False)
class VMOperationalStatus(PSEnumBase):
    Ok = 2
    Degraded = 3
    PredictiveFailure = 5
    InService = 11
    Dormant = 15
    SupportingEntityInError = 16
    CreatingSnapshot = 32768
    ApplyingSnapshot = 23769  # sic: Microsoft's enum has this typo (WMI uses 32769)
    DeletingSnapshot = 32770
    WaitingToStart = 32771
    MergingDisks = 32772
    ExportingVirtualMachine = 32773
    MigratingVirtualMachine = 32774
    BackingUpVirtualMachine = 32776
    ModifyingUpVirtualMachine = 32777
    StorageMigrationPhaseOne = 32778
    StorageMigrationPhaseTwo = 32779
    MigratingPlannedVm = 32780
    CheckingCompatibility = 32781
    ApplicationCriticalState = 32782
    CommunicationTimedOut = 32783
    CommunicationFailed = 32784
    NoIommu = 32785
    NoIovSupportInNic = 32786
    SwitchNotInIovMode = 32787
    IovBlockedByPolicy = 32788
    IovNoAvailResources = 32789
    IovGuestDriversNeeded = 32790
    CriticalIoError = 32795


@PSType([_NS + "VMIntegrationComponentOperationalStatus"], rehydrate=False)
class VMIntegrationComponentOperationalStatus(PSEnumBase):
    """The public enum; unlike the model's `ComponentStatus` it has no `Unknown` (0) or `Dormant` (15)."""

    Ok = ComponentStatus.Ok.value
    Degraded = ComponentStatus.Degraded.value
    Error = ComponentStatus.Error.value
    NonRecoverableError = ComponentStatus.NonRecoverableError.value
    NoContact = ComponentStatus.NoContact.value
    LostCommunication = ComponentStatus.LostCommunication.value
    Disabled = ComponentStatus.Disabled.value
    ProtocolMismatch = ComponentStatus.ProtocolMismatch.value
    ApplicationCritical = ComponentStatus.ApplicationCritical.value
    CommunicationTimedOut = ComponentStatus.CommunicationTimedOut.value
    CommunicationFailed = ComponentStatus.CommunicationFailed.value


@PSType([_NS + "CheckpointType"], rehydrate=False)
class CheckpointType(PSEnumBase):
    Disabled = ModelCheckpointType.Disabled.value
    Production = ModelCheckpointType.Production.value
    ProductionOnly = ModelCheckpointType.ProductionOnly.value
    Standard = ModelCheckpointType.Standard.value


@PSType([_NS + "StartAction"], rehydrate=False)
class StartAction(PSEnumBase):
    Nothing = 2
    StartIfRunning = 3
    Start = 4


@PSType([_NS + "StopAction"], rehydrate=False)
class StopAction(PSEnumBase):
    TurnOff = 2
    Save = 3
    ShutDown = 4


@PSType([_NS + "CriticalErrorAction"], rehydrate=False)
class CriticalErrorAction(PSEnumBase):
    locals()["None"] = 0  # a .NET member named None: not writable as a Python identifier
    Pause = 1


@PSType([_NS + "VMReplicationState"], rehydrate=False)
class VMReplicationState(PSEnumBase):
    Disabled = 0
    ReadyForInitialReplication = 1
    InitialReplicationInProgress = 2
    WaitingForInitialReplication = 3
    Replicating = 4
    PreparedForFailover = 5
    FailedOverWaitingCompletion = 6
    FailedOver = 7
    Suspended = 8
    Error = 9
    WaitingForStartResynchronize = 10
    Resynchronizing = 11
    ResynchronizeSuspended = 12
    RecoveryInProgress = 13
    FailbackInProgress = 14
    FailbackComplete = 15
    WaitingForUpdateCompletion = 16
    UpdateError = 17
    WaitingForRepurposeCompletion = 18
    PreparedForSyncReplication = 19
    PreparedForGroupReverseReplication = 20
    FiredrillInProgress = 21


@PSType([_NS + "VMReplicationHealthState"], rehydrate=False)
class VMReplicationHealthState(PSEnumBase):
    NotApplicable = 0
    Normal = 1
    Warning = 2
    Critical = 3


@PSType([_NS + "VMReplicationMode"], rehydrate=False)
class VMReplicationMode(PSEnumBase):
    locals()["None"] = 0
    Primary = 1
    Replica = 2
    TestReplica = 3
    ExtendedReplica = 4


@PSType([_NS + "EnhancedSessionTransportType"], rehydrate=False)
class EnhancedSessionTransportType(PSEnumBase):
    VMBus = 0
    HvSocket = 1


@PSType([_NS + "OnOffState"], rehydrate=False)
class OnOffState(PSEnumBase):
    On = 0
    Off = 1


@PSType([_NS + "VirtualMachineType"], rehydrate=False)
class VirtualMachineType(PSEnumBase):
    RealizedVirtualMachine = 3
    PlannedVirtualMachine = 4


@PSType([_NS + "VirtualMachineSubType"], rehydrate=False)
class VirtualMachineSubType(PSEnumBase):
    Unknown = 0
    Generation1 = 1
    Generation2 = 2


# plausible WS2022 behaviour: member values of the two migration enums are not in the reference; these are
# the WMI values the module maps from (CredSSP 0 / Kerberos 1; TCPIP 0 / Compression 1 / SMB 2).
@PSType([_NS + "MigrationAuthenticationType"], rehydrate=False)
class MigrationAuthenticationType(PSEnumBase):
    CredSSP = 0
    Kerberos = 1


@PSType([_NS + "VMMigrationPerformance"], rehydrate=False)
class VMMigrationPerformance(PSEnumBase):
    TCPIP = 0
    Compression = 1
    SMB = 2


@PSType([_NS + "SnapshotType"], rehydrate=False)
class SnapshotType(PSEnumBase):
    Standard = ModelSnapshotType.Standard.value
    Recovery = ModelSnapshotType.Recovery.value
    Planned = ModelSnapshotType.Planned.value
    Missing = ModelSnapshotType.Missing.value
    Replica = ModelSnapshotType.Replica.value
    AppConsistentReplica = ModelSnapshotType.AppConsistentReplica.value
    SyncedReplica = ModelSnapshotType.SyncedReplica.value


# plausible WS2022 behaviour: the enum's one member is documented (hyperv-api.md §2.3), its value is not.
@PSType([_NS + "CopyFileSourceType"], rehydrate=False)
class CopyFileSourceType(PSEnumBase):
    Host = 0
