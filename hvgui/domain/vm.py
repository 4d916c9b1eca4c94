"""Virtual machines as hvgui sees them: state, heartbeat and the figures shown in the VM table."""

from __future__ import annotations

import enum
import functools
import time
from dataclasses import dataclass, field
from typing import NamedTuple

from hvgui.domain.integration import IntegrationServiceState


class VmState(enum.IntEnum):
    """`Microsoft.HyperV.PowerShell.VMState`; values as the host serializes them."""

    Other = 1
    Running = 2
    Off = 3
    Stopping = 4
    Saved = 6
    Paused = 9
    Starting = 10
    Reset = 11
    Saving = 32773
    Pausing = 32776
    Resuming = 32777
    FastSaved = 32779
    FastSaving = 32780
    ForceShutdown = 32781
    ForceReboot = 32782
    Hibernated = 32783
    ComponentServicing = 32784
    RunningCritical = 32785
    OffCritical = 32786
    StoppingCritical = 32787
    SavedCritical = 32788
    PausedCritical = 32789
    StartingCritical = 32790
    ResetCritical = 32791
    SavingCritical = 32792
    PausingCritical = 32793
    ResumingCritical = 32794
    FastSavedCritical = 32795
    FastSavingCritical = 32796

    @property
    def is_running(self) -> bool:
        """True while the VM's worker process runs, which is what gives it uptime, CPU use and a heartbeat.

        The one rule hvgui has for "is the VM running": Running, Paused and every transitional state are;
        Off, Saved, Fast Saved, Hibernated and their critical forms are not (the host reports an Uptime of
        zero, no heartbeat and no integration-service status for them, hyperv-api.md §4.1 and §5).
        """
        return self not in _NOT_RUNNING

    @property
    def is_transitional(self) -> bool:
        """True while the host is moving the VM between stable states."""
        return self in _TRANSITIONAL

    @property
    def is_critical(self) -> bool:
        return self.name.endswith("Critical")

    @property
    def label(self) -> str:
        """Text for the VM table; Hyper-V Manager spells the compound states with spaces."""
        return _STATE_LABELS.get(self, self.name)


# The reference names Off (Uptime 00:00:00, Heartbeat $null) and lists Saved, FastSaved and Hibernated
# among the states Start-VM starts from (hyperv-api.md §2.2, §4.1). plausible WS2022 behaviour: a Fast
# Saved or Hibernated VM has no running worker process either, like a Saved one.
_NOT_RUNNING = frozenset(
    {
        VmState.Off,
        VmState.OffCritical,
        VmState.Saved,
        VmState.SavedCritical,
        VmState.FastSaved,
        VmState.FastSavedCritical,
        VmState.Hibernated,
    }
)

_TRANSITIONAL = {
    VmState.Stopping,
    VmState.Starting,
    VmState.Reset,
    VmState.Saving,
    VmState.Pausing,
    VmState.Resuming,
    VmState.FastSaving,
    VmState.ForceShutdown,
    VmState.ForceReboot,
}

_STATE_LABELS = {
    VmState.FastSaved: "Fast Saved",
    VmState.FastSaving: "Fast Saving",
    VmState.ForceShutdown: "Force Shutdown",
    VmState.ForceReboot: "Force Reboot",
    VmState.ComponentServicing: "Component Servicing",
}


class HeartbeatStatus(enum.IntEnum):
    """`Microsoft.HyperV.PowerShell.VMHeartbeatStatus` (ordinals; the enum has no explicit values)."""

    Unknown = 0
    Disabled = 1
    NoContact = 2
    Error = 3
    LostCommunication = 4
    OkApplicationsUnknown = 5
    OkApplicationsHealthy = 6
    OkApplicationsCritical = 7
    Paused = 8

    @property
    def label(self) -> str:
        """The en-US display string Hyper-V Manager uses (resx `EnumValues`)."""
        return _HEARTBEAT_LABELS[self]

    @property
    def is_ok(self) -> bool:
        """Linux guests never report application health, so every Ok* member means the guest is up."""
        return self in (
            HeartbeatStatus.OkApplicationsUnknown,
            HeartbeatStatus.OkApplicationsHealthy,
            HeartbeatStatus.OkApplicationsCritical,
        )


_HEARTBEAT_LABELS = {
    HeartbeatStatus.Unknown: "Unknown",
    HeartbeatStatus.Disabled: "Unavailable",
    HeartbeatStatus.NoContact: "No Contact",
    HeartbeatStatus.Error: "Error",
    HeartbeatStatus.LostCommunication: "Lost Communication",
    HeartbeatStatus.OkApplicationsUnknown: "OK (No Application Data)",
    HeartbeatStatus.OkApplicationsHealthy: "OK (Applications Healthy)",
    HeartbeatStatus.OkApplicationsCritical: "OK (Applications Critical)",
    HeartbeatStatus.Paused: "Paused",
}


class CheckpointType(enum.IntEnum):
    """`Microsoft.HyperV.PowerShell.CheckpointType`."""

    Disabled = 2
    Production = 3
    ProductionOnly = 4
    Standard = 5


class VmKey(NamedTuple):
    """A VM is identified by its host and its GUID; names are neither unique nor stable.

    A named tuple, so hashing and comparing keys (every model looks up thousands of them per refresh) runs
    in C rather than in a dataclass's Python methods.
    """

    host: str
    vm_id: str  # lower-case GUID text


@dataclass(frozen=True)
class Vm:
    """One VM as reported by one inventory refresh of its host."""

    host: str
    vm_id: str
    name: str
    state: VmState
    heartbeat: HeartbeatStatus | None  # None while the VM is Off, as on the host
    status: str
    #: When the VM last started (Unix seconds, UTC), as the host reports it; None while it does not run.
    #: The host sends the boot time, not the uptime, so a running VM does not change on every refresh;
    #: views derive the uptime (`uptime`) from their own clock.
    booted_at: float | None
    cpu_usage: int
    memory_assigned: int  # bytes
    generation: int
    version: str
    checkpoint_type: CheckpointType | None = None
    is_clustered: bool = False
    integration_services: tuple[IntegrationServiceState, ...] = field(default=())
    # From the guest's intrinsic KVP items; None while the guest reports nothing (off, no KVP service/daemon).
    guest_os_name: str | None = None
    guest_os_version: str | None = None
    guest_product_type: int | None = None  # 1 workstation, 2 domain controller, 3 server
    memory_demand: int | None = None  # bytes; None while the host reports none (static memory, not running)
    notes: str = ""
    checkpoint_count: int | None = None  # None: the host did not say
    integration_services_version: str | None = None  # the guest's own report (KVP), None if it gives none

    def uptime(self, now: float | None = None) -> int:
        """Whole seconds the VM has run at `now` (Unix time; default: this computer's clock); 0 when it does
        not run or the host reported no boot time."""
        if self.booted_at is None or not self.state.is_running:
            return 0
        return max(0, int((time.time() if now is None else now) - self.booted_at))

    @property
    def is_domain_controller(self) -> bool:
        return self.guest_product_type == 2

    def service(self, ic_guid: str) -> IntegrationServiceState | None:
        """The VM's integration component with this GUID, as last reported."""
        wanted = ic_guid.upper()
        return next((s for s in self.integration_services if s.ic_guid == wanted), None)

    @functools.cached_property
    def key(self) -> VmKey:
        """Built once per Vm: models look VMs up by key thousands of times a refresh."""
        return VmKey(self.host, self.vm_id)


@dataclass(frozen=True)
class Inventory:
    """Everything one refresh learnt about one host."""

    host: str
    vms: tuple[Vm, ...]
    fetched_at: float  # time.time() on the client when the answer arrived
    unreadable: int = 0  # VM entries the host sent that could not be read (logged): the list is incomplete

    def by_key(self) -> dict[VmKey, Vm]:
        return {vm.key: vm for vm in self.vms}

    @functools.cached_property
    def positions(self) -> dict[str, int]:
        """Each VM's index in `vms`, by VM id. Built once per inventory: a change pushed by the host names a
        few VMs of thousands, and finding them must not walk the whole list."""
        return {vm.vm_id: index for index, vm in enumerate(self.vms)}

    def with_vms_replaced(self, replaced: dict[int, Vm], *, fetched_at: float) -> Inventory:
        """This inventory with the VMs at the given indexes replaced by others of the same ids; the new one
        shares this one's `positions`, since no VM moved."""
        vms = list(self.vms)
        for index, vm in replaced.items():
            vms[index] = vm
        updated = Inventory(self.host, tuple(vms), fetched_at, self.unreadable)
        if "positions" in self.__dict__:
            updated.__dict__["positions"] = self.__dict__["positions"]
        return updated
