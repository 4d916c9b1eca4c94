"""One emulated virtual machine: its configuration, its power-state machine and what its guest shows.

States advance lazily: every reader passes the model time (`now`) and the VM first completes any
transition that is due, so no background thread is needed and an injected clock drives everything.

The allowed transitions are the decompiled module's `gm_StateTransitionMap` (hyperv-api.md §2.2). Every
action runs as a host job (`Job`, an `Msvm_ConcreteJob`) that lasts as long as the transitional state; its
duration comes from the VM's `JobDurations` (set per scenario, host and VM) and its guest OS. Few durations are
documented; the defaults follow hyperv-cim-winrm.md §8 where it has a figure and are otherwise plausible
WS2022 behaviour: Starting ~2 s, saving ~1 s + 1 s per GiB of memory, guest shutdown as long as the guest OS
takes, turn-off immediate, checkpoints 2 s (plus memory for a running VM's standard one, plus the guest's VSS
freeze and thaw for a production one).
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from . import components as ic
from .checkpoints import Snapshot
from .guest import FileSystem, GuestConfig, KvpPools, guest_file_system
from .reference import CheckpointType, ComponentStatus, HeartbeatStatus, VmState
from .texts import HostTexts
from .timesync import ClockMode, GuestClock

START_SECONDS = 2.0
RESTORE_SECONDS = 2.0
#: hyperv-cim-winrm.md §8: "Save-VM ~1 s + RAM/1 GB·s" (the memory is written to disk).
SAVE_BASE_SECONDS = 1.0
SAVE_SECONDS_PER_GIB = 1.0
PAUSE_SECONDS = 0.5
RESUME_SECONDS = 0.5
RESET_SECONDS = 1.0
#: hyperv-cim-winrm.md §8 suggests 2-10 s per checkpoint. plausible WS2022 behaviour: the AVHDs and the
#: configuration copy take ~2 s; a running VM's standard checkpoint also writes its memory (in the background,
#: so the job grows with RAM while the VM's downtime does not); a production checkpoint instead waits for the
#: guest's VSS freeze and thaw, which dominates its time.
CHECKPOINT_SECONDS = 2.0
CHECKPOINT_SECONDS_PER_GIB = 0.1
CHECKPOINT_VSS_SECONDS = 6.0
#: plausible WS2022 behaviour: applying a checkpoint turns the VM off, points its disks at new differencing
#: disks and copies the configuration back (a few seconds), plus reading back a saved memory state.
APPLY_CHECKPOINT_SECONDS = 3.0
APPLY_CHECKPOINT_SECONDS_PER_GIB = 0.5
#: plausible WS2022 behaviour: deleting a checkpoint merges its differencing disk into its parent; the job
#: the cmdlet waits for ends when the merge is under way (the merge itself runs on in the background).
DELETE_CHECKPOINT_SECONDS = 2.0
#: plausible WS2022 behaviour: after a component is enabled, the guest service needs a moment to connect
#: over VMBus; until then the host reports No Contact for it.
HANDSHAKE_SECONDS = 1.0
#: How often the host refreshes a VM's CPU figure (Msvm_SummaryInformation).
CPU_SAMPLE_SECONDS = 2.0
MEMORY_SAMPLE_SECONDS = 10.0

MIB = 1024 * 1024
GIB = 1024 * MIB


#: States from which a checkpoint can be applied (not during a transition). plausible WS2022 behaviour.
_APPLICABLE_FROM = frozenset({VmState.Off, VmState.Running, VmState.Paused, VmState.Saved})


class Action(enum.Enum):
    """`VirtualMachineAction` of the decompiled module."""

    Start = "Start"
    Stop = "Stop"  # power off (Stop-VM -TurnOff)
    ShutDown = "ShutDown"  # guest shutdown through the Shutdown IC
    ForceShutdown = "ForceShutdown"
    Save = "Save"
    Restart = "Restart"
    Suspend = "Suspend"
    Resume = "Resume"


#: action -> (allowed current states, target state)
TRANSITIONS: dict[Action, tuple[frozenset[VmState], VmState]] = {
    Action.Start: (
        frozenset({VmState.Off, VmState.Saved, VmState.Paused, VmState.FastSaved, VmState.Hibernated}),
        VmState.Running,
    ),
    Action.Stop: (frozenset({VmState.Running, VmState.Paused, VmState.Saved, VmState.FastSaved}), VmState.Off),
    Action.ShutDown: (frozenset({VmState.Running}), VmState.Stopping),
    Action.ForceShutdown: (frozenset({VmState.Running}), VmState.ForceShutdown),
    Action.Save: (frozenset({VmState.Running, VmState.Paused}), VmState.Saved),
    Action.Restart: (frozenset({VmState.Running}), VmState.Reset),
    Action.Suspend: (frozenset({VmState.Running}), VmState.Paused),
    Action.Resume: (frozenset({VmState.Paused}), VmState.Running),
}

#: States without a running worker process: no runtime integration components, no uptime.
_NOT_RUNNING = frozenset(
    {VmState.Off, VmState.Saved, VmState.FastSaved, VmState.Hibernated, VmState.OffCritical, VmState.SavedCritical}
)


@dataclass(frozen=True)
class JobDurations:
    """How long a VM's jobs take, in host seconds (see the module doc for where each figure comes from)."""

    start: float = START_SECONDS  # Off -> Running (worker process and firmware; the guest boots afterwards)
    restore: float = RESTORE_SECONDS  # Saved -> Running
    save_base: float = SAVE_BASE_SECONDS
    save_per_gib: float = SAVE_SECONDS_PER_GIB  # per GiB of memory assigned
    pause: float = PAUSE_SECONDS
    resume: float = RESUME_SECONDS
    reset: float = RESET_SECONDS
    checkpoint: float = CHECKPOINT_SECONDS
    checkpoint_per_gib: float = CHECKPOINT_SECONDS_PER_GIB  # a running VM's standard checkpoint, per GiB
    checkpoint_vss: float = CHECKPOINT_VSS_SECONDS  # a production checkpoint's in-guest VSS freeze and thaw
    apply_checkpoint: float = APPLY_CHECKPOINT_SECONDS
    apply_checkpoint_per_gib: float = APPLY_CHECKPOINT_SECONDS_PER_GIB  # a checkpoint's saved memory, per GiB
    delete_checkpoint: float = DELETE_CHECKPOINT_SECONDS
    boot: float | None = None  # power-on until the heartbeat answers; None: the guest OS's
    shutdown: float | None = None  # a clean guest shutdown; None: the guest OS's

    def save_seconds(self, memory_bytes: int) -> float:
        return self.save_base + self.save_per_gib * memory_bytes / GIB

    def checkpoint_seconds(self, *, vss: bool, memory_bytes: int) -> float:
        """A checkpoint: with the guest's VSS (production), or holding `memory_bytes` of memory (standard)."""
        if vss:
            return self.checkpoint + self.checkpoint_vss
        return self.checkpoint + self.checkpoint_per_gib * memory_bytes / GIB


def job_durations(values: Mapping[str, Any]) -> JobDurations:
    """`JobDurations` from a scenario's `durations` object; unknown keys and negative values are refused."""
    known = {f.name for f in fields(JobDurations)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown durations {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    checked: dict[str, float | None] = {}
    for key, value in values.items():
        if value is None and key in ("boot", "shutdown"):
            checked[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
            raise ValueError(f"duration {key!r} must be a number of seconds, 0 or more, not {value!r}")
        checked[key] = float(value)
    return JobDurations(**checked)  # type: ignore[arg-type]


@dataclass(eq=False)
class Job:
    """A host job (`Msvm_ConcreteJob`) an action started: when it began and ends, in model time.

    `action` is None for a checkpoint. A job that an action completes synchronously (turn-off) ends as it
    starts. Another action that takes over the VM (a turn-off during a shutdown) ends the job early.
    """

    action: Action | None
    started_at: float
    completes_at: float
    ended_at: float | None = None

    def done(self, now: float) -> bool:
        return self.ended_at is not None or now >= self.completes_at

    def percent(self, now: float) -> int:
        """`PercentComplete`: elapsed share of the job, 100 once done."""
        if self.done(now):
            return 100
        span = self.completes_at - self.started_at
        return max(0, min(99, int(100 * (now - self.started_at) / span))) if span > 0 else 0

    def remaining(self, now: float) -> float:
        return 0.0 if self.done(now) else self.completes_at - now


class AlreadyInState(Exception):
    """The VM already is in the state the action leads to (a warning on a host, not an error)."""


class InvalidState(Exception):
    """The action is not allowed from the VM's current state."""


@dataclass
class Hardware:
    """The VM settings Get-VM reports (memory in bytes)."""

    generation: int = 2
    version: str = "10.0"
    processor_count: int = 2
    memory_startup: int = 2048 * MIB
    dynamic_memory: bool = False
    memory_minimum: int = 512 * MIB
    memory_maximum: int = 1048576 * MIB
    checkpoint_type: CheckpointType = CheckpointType.Production
    automatic_checkpoints: bool = False
    notes: str = ""
    is_clustered: bool = False
    creation_time: datetime.datetime = datetime.datetime(2024, 1, 15, 9, 30, tzinfo=datetime.UTC)
    cpu_load: float = 3.0  # typical CPU % of the running guest
    path: str = "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V"


@dataclass
class ComponentSetting:
    info: ic.ServiceInfo
    enabled: bool
    #: Model time from which the guest side answers after the component was last enabled (its handshake).
    answering_from: float = float("-inf")


@dataclass
class _Transition:
    target: VmState
    completes_at: float
    started_at: float
    job: Job


@dataclass
class _Run:
    """One period during which the VM's worker process runs (from power-on or restore until off or saved)."""

    started_at: float
    boot_seconds: float  # uptime at which the guest's heartbeat first answers
    paused_total: float = 0.0
    paused_since: float | None = None

    def uptime(self, now: float) -> float:
        end = self.paused_since if self.paused_since is not None else now
        return max(0.0, end - self.started_at - self.paused_total)


@dataclass(eq=False)
class EmulatedVm:
    """A VM of the model. Not thread-safe by itself: the host model's lock guards every call."""

    id: uuid.UUID
    name: str
    hardware: Hardware
    guest: GuestConfig
    components: dict[str, ComponentSetting]  # IC GUID -> setting, in the host's listing order
    kvp: KvpPools
    files: FileSystem
    clock: GuestClock
    seed: int = 0
    durations: JobDurations = field(default_factory=JobDurations)
    #: Checkpoints in creation order; `parent_snapshot_id` is the one the running configuration derives from.
    snapshots: list[Snapshot] = field(default_factory=list)
    parent_snapshot_id: uuid.UUID | None = None
    snapshots_taken: int = 0  # how many were ever taken (names the next id)
    #: The guest hangs now, whatever its schedule, until it recovers (`heartbeats.hang` / `recover`).
    hung_now: bool = False
    _state: VmState = VmState.Off
    _transition: _Transition | None = None
    _run: _Run | None = None
    _device_ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        *,
        vm_id: uuid.UUID,
        name: str,
        hardware: Hardware,
        guest: GuestConfig,
        host_name: str,
        host_fqdn: str,
        now: float,
        state: VmState = VmState.Off,
        uptime: float = 0.0,
        enabled: dict[str, bool] | None = None,
        seed: int = 0,
        durations: JobDurations | None = None,
    ) -> EmulatedVm:
        """A VM as a scenario describes it; a running VM has been up for `uptime` seconds already."""
        enabled = enabled or {}
        components = {
            s.ic_guid: ComponentSetting(s, enabled.get(s.ic_guid, s.enabled_by_default))
            for s in ic.INTEGRATION_COMPONENTS
        }
        vm = cls(
            id=vm_id,
            name=name,
            hardware=hardware,
            guest=guest,
            components=components,
            kvp=KvpPools(guest, host_name=host_name, host_fqdn=host_fqdn, vm_name=name, vm_id=str(vm_id)),
            files=guest_file_system(guest),
            clock=GuestClock(drift_ppm=guest.clock_drift_ppm),
            seed=seed,
            durations=durations or JobDurations(),
        )
        vm._enter_initial_state(state, uptime, now)
        return vm

    def _enter_initial_state(self, state: VmState, uptime: float, now: float) -> None:
        if state not in (VmState.Off, VmState.Running, VmState.Saved, VmState.Paused):
            raise ValueError(f"a scenario VM starts Off, Running, Saved or Paused, not {state.name}")
        self._state = state
        if state in (VmState.Running, VmState.Paused):
            self._run = _Run(started_at=now - uptime, boot_seconds=self.boot_seconds)
            if state is VmState.Paused:
                self._run.paused_since = now
        # A scenario's guest runs in step when time sync keeps it so, else `clock_offset` seconds off.
        mode = self._clock_mode()
        offset = 0.0 if mode in (ClockMode.STOPPED, ClockMode.SYNCED) else self.guest.clock_offset
        self.clock.start_at(mode, now, offset)

    # ------------------------------------------------------------------ state machine

    @property
    def boot_seconds(self) -> float:
        """From power-on until the guest's heartbeat answers: this VM's, else its guest OS's."""
        boot = self.durations.boot
        return self.guest.os.boot_seconds if boot is None else boot

    @property
    def shutdown_seconds(self) -> float:
        """A clean guest shutdown: this VM's, else its guest OS's."""
        shutdown = self.durations.shutdown
        return self.guest.os.shutdown_seconds if shutdown is None else shutdown

    def state(self, now: float) -> VmState:
        self._advance(now)
        return self._state

    def _advance(self, now: float) -> None:
        t = self._transition
        if t is None or now < t.completes_at:
            return
        self._transition = None
        self._state = t.target
        if t.target in _NOT_RUNNING:
            self._run = None
        self._update_clock(t.completes_at)

    def _begin(self, transitional: VmState, target: VmState, seconds: float, now: float) -> None:
        self._end_job(now)
        self._state = transitional
        self._transition = _Transition(target, now + seconds, now, Job(None, now, now + seconds))

    def _end_job(self, now: float) -> None:
        """The running job (if any) is taken over by a new action: it ends now."""
        if self._transition is not None and self._transition.job.ended_at is None:
            self._transition.job.ended_at = now

    def change_state(self, action: Action, now: float) -> Job:
        """Apply an action like `VirtualMachine.ChangeState`: warn-worthy, invalid, or started (its job)."""
        allowed, target = TRANSITIONS[action]
        current = self.state(now)
        if current is target:
            raise AlreadyInState(action)
        if current not in allowed:
            raise InvalidState(action)
        getattr(self, f"_do_{action.value.lower()}")(current, now)
        # A reset reboots the guest, which then reads its time from the virtual RTC (the host's time).
        self._update_clock(now, reset=action is Action.Restart)
        transition = self._transition
        job = transition.job if transition is not None else Job(None, now, now)  # done synchronously
        job.action = action
        return job

    def _do_start(self, current: VmState, now: float) -> None:
        if current is VmState.Paused:
            self._end_pause(now)
            self._begin(VmState.Resuming, VmState.Running, self.durations.resume, now)
        elif current is VmState.Off:
            self._run = _Run(started_at=now, boot_seconds=self.boot_seconds)
            self._begin(VmState.Starting, VmState.Running, self.durations.start, now)
        else:
            # Restoring a saved state: the guest is already booted and answers once the VM runs.
            # plausible WS2022 behaviour: Uptime restarts from zero after a restore.
            self._run = _Run(started_at=now, boot_seconds=self.durations.restore)
            self._begin(VmState.Starting, VmState.Running, self.durations.restore, now)

    def _do_stop(self, current: VmState, now: float) -> None:
        # plausible WS2022 behaviour: a turn-off (or discarding a saved state) completes at once.
        self._end_job(now)
        self._state, self._transition, self._run = VmState.Off, None, None

    def _do_shutdown(self, current: VmState, now: float) -> None:
        self._begin(VmState.Stopping, VmState.Off, self.shutdown_seconds, now)

    def _do_forceshutdown(self, current: VmState, now: float) -> None:
        self._begin(VmState.ForceShutdown, VmState.Off, self.shutdown_seconds / 2, now)

    def _do_save(self, current: VmState, now: float) -> None:
        # The memory the VM has now is what gets written.
        self._begin(VmState.Saving, VmState.Saved, self.durations.save_seconds(self.memory_assigned(now)), now)

    def _do_restart(self, current: VmState, now: float) -> None:
        # A hard reset: the guest boots again and Uptime restarts (Restart-VM waits for exactly that).
        self._run = _Run(started_at=now, boot_seconds=self.boot_seconds + self.durations.reset)
        self._begin(VmState.Reset, VmState.Running, self.durations.reset, now)

    def _do_suspend(self, current: VmState, now: float) -> None:
        if self._run is not None:
            self._run.paused_since = now
        self._begin(VmState.Pausing, VmState.Paused, self.durations.pause, now)

    def _do_resume(self, current: VmState, now: float) -> None:
        self._end_pause(now)
        self._begin(VmState.Resuming, VmState.Running, self.durations.resume, now)

    def apply_snapshot(self, snapshot: Snapshot, now: float) -> Job:
        """`Restore-VMSnapshot`: the VM goes back to the checkpoint. A running or paused VM is turned off
        first (what it had not saved is lost); the VM ends Saved when the checkpoint holds a memory state
        (a standard checkpoint of a running VM), else Off. Raises InvalidState during a transition.

        plausible WS2022 behaviour: the VM reports Off while the apply job runs, then Saved if it has one.
        """
        current = self.state(now)
        if current not in _APPLICABLE_FROM:
            raise InvalidState(None)
        self._do_stop(current, now)
        self.hardware = replace(snapshot.hardware)
        for guid, enabled in snapshot.components_enabled.items():
            if guid in self.components:
                self.components[guid].enabled = enabled
        self.parent_snapshot_id = snapshot.id
        memory = self.hardware.memory_startup if snapshot.saved_state else 0
        seconds = self.durations.apply_checkpoint + self.durations.apply_checkpoint_per_gib * memory / GIB
        if snapshot.saved_state:
            self._begin(VmState.Off, VmState.Saved, seconds, now)
            return self._transition.job if self._transition is not None else Job(None, now, now)
        return Job(None, now, now + seconds)

    def _end_pause(self, now: float) -> None:
        run = self._run
        if run is not None and run.paused_since is not None:
            run.paused_total += now - run.paused_since
            run.paused_since = None

    # ------------------------------------------------------------------ figures

    def uptime(self, now: float) -> float:
        """Seconds since the worker started, paused time excluded; 0 when not running."""
        self._advance(now)
        return self._run.uptime(now) if self._run is not None else 0.0

    def has_runtime_components(self, now: float) -> bool:
        """Integration components exist (and report a status) only while the worker process runs."""
        return self.state(now) not in _NOT_RUNNING

    def guest_booted(self, now: float) -> bool:
        run = self._run
        return run is not None and self.state(now) is not VmState.Starting and run.uptime(now) >= run.boot_seconds

    def guest_hung(self, now: float) -> bool:
        hang = self.guest.hang
        run = self._run
        if run is None or not self.guest_booted(now):
            return False
        if self.hung_now:
            return True
        return hang is not None and hang.is_hung(run.uptime(now) - run.boot_seconds)

    def _shutting_down_late(self, now: float) -> bool:
        """In the second half of a guest shutdown the guest's services have stopped answering."""
        t = self._transition
        state = self.state(now)
        if t is None or state not in (VmState.Stopping, VmState.ForceShutdown):
            return False
        return now >= t.started_at + (t.completes_at - t.started_at) / 2

    def _noise(self, salt: str, bucket: int) -> float:
        """A deterministic pseudo-random number in [0, 1) for this VM, purpose and time bucket."""
        digest = hashlib.blake2b(f"{self.seed}:{self.id}:{salt}:{bucket}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def cpu_usage(self, now: float) -> int:
        state = self.state(now)
        if state in _NOT_RUNNING or state in (VmState.Paused, VmState.Pausing):
            return 0
        bucket = int(now // CPU_SAMPLE_SECONDS)
        noise = self._noise("cpu", bucket)
        if not self.guest_booted(now):
            return int(25 + 45 * noise)  # a booting guest is busy
        if self.guest_hung(now):
            return int(2 * noise)
        base = self.hardware.cpu_load
        return max(0, min(100, round(base * (0.5 + noise) + (2 * noise if base < 5 else 0))))

    def memory_assigned(self, now: float) -> int:
        if self.state(now) in _NOT_RUNNING:
            return 0
        hw = self.hardware
        if not hw.dynamic_memory:
            return hw.memory_startup
        factor = 0.7 + 0.5 * self._noise("mem", int(now // MEMORY_SAMPLE_SECONDS))
        assigned = int(hw.memory_startup * factor) // (2 * MIB) * (2 * MIB)
        return max(hw.memory_minimum, min(hw.memory_maximum, assigned))

    def memory_demand(self, now: float) -> int:
        """Dynamic-memory guests report their demand; static ones report none (0)."""
        if not self.hardware.dynamic_memory or self.state(now) in _NOT_RUNNING:
            return 0
        return int(self.memory_assigned(now) * (0.55 + 0.3 * self._noise("demand", int(now // 10)))) // MIB * MIB

    # ------------------------------------------------------------------ integration components

    def set_component_enabled(self, ic_guid: str, enabled: bool, now: float) -> None:
        setting = self.components[ic_guid]
        if enabled and not setting.enabled:
            setting.answering_from = now + HANDSHAKE_SECONDS
        setting.enabled = enabled
        self._update_clock(now)

    def set_guest_service_running(self, ic_guid: str, running: bool, now: float) -> None:
        """Start or stop the guest program behind a component (a Windows `vmic*` service, a Linux daemon;
        for heartbeat, shutdown and time sync on Linux: the hv_utils module). What an admin does inside
        the guest; the host only sees its effect."""
        self._advance(now)
        self.guest = self.guest.with_service_running(ic_guid, running)
        self.kvp.guest_config = self.guest
        if running:
            self.components[ic_guid].answering_from = now + HANDSHAKE_SECONDS
        self._update_clock(now)

    def guest_answers(self, ic_guid: str, now: float) -> bool:
        """Whether the guest side of an enabled component answers the host right now."""
        setting = self.components[ic_guid]
        return (
            setting.enabled
            and self.has_runtime_components(now)
            and self.guest_booted(now)
            and self.guest.runs_service_for(ic_guid)
            and now >= setting.answering_from
            and not self._shutting_down_late(now)
        )

    def component_status(self, ic_guid: str, now: float) -> tuple[ComponentStatus, ...]:
        """`OperationalStatus` of one component: empty while no worker runs (Off, Saved).

        The module reads the status from the runtime `Msvm_*Component`, which exists only while the VM's
        worker process runs; without it the decompiled getter returns an empty array (inferred, not captured).
        """
        if not self.has_runtime_components(now):
            return ()
        setting = self.components[ic_guid]
        if not setting.enabled:
            # A disabled component still reports OK (genuine sample: Guest Service Interface False / OK).
            return (ComponentStatus.Ok,)
        if not self.guest_booted(now) or now < setting.answering_from:
            return (ComponentStatus.NoContact,)
        if ic_guid == ic.VSS.ic_guid and self.guest.os.vss_protocol_mismatch and self.guest.hv_utils:
            # The guest kernel answers with an older VSS protocol, daemon or not (genuine Ubuntu 24.04 sample).
            return (ComponentStatus.Ok, ComponentStatus.ProtocolMismatch)
        if not self.guest.runs_service_for(ic_guid):
            return (ComponentStatus.NoContact,)
        if self._shutting_down_late(now):
            return (ComponentStatus.LostCommunication,)
        if ic_guid == ic.HEARTBEAT.ic_guid:
            # plausible WS2022 behaviour: a hang shows on the heartbeat only; the other components keep
            # their last status because the host detects a lost guest through the heartbeat pings.
            if self.guest_hung(now):
                return (ComponentStatus.LostCommunication,)
            if self.guest.reports_application_health():
                app = ComponentStatus.ApplicationCritical if self.guest.applications_critical else ComponentStatus.Ok
                return (ComponentStatus.Ok, app)
        return (ComponentStatus.Ok,)

    def component_descriptions(self, ic_guid: str, now: float, texts: HostTexts) -> tuple[str, ...]:
        return tuple(_describe(status, texts) for status in self.component_status(ic_guid, now))

    def heartbeat(self, now: float) -> HeartbeatStatus | None:
        """`VirtualMachine.Heartbeat`: $null when Off, else derived like `GetHeartbeatStatus`."""
        state = self.state(now)
        if state is VmState.Off:
            return None
        if not self.components[ic.HEARTBEAT.ic_guid].enabled:
            return HeartbeatStatus.Disabled
        if state in (VmState.Paused, VmState.Pausing):
            return HeartbeatStatus.Paused
        status = self.component_status(ic.HEARTBEAT.ic_guid, now)
        if not status:
            # plausible WS2022 behaviour: a saved VM has no heartbeat component, so the summary reports 0.
            return HeartbeatStatus.Unknown
        primary = status[0]
        if primary is ComponentStatus.NoContact:
            return HeartbeatStatus.NoContact
        if primary is ComponentStatus.LostCommunication:
            return HeartbeatStatus.LostCommunication
        if primary is not ComponentStatus.Ok:
            return HeartbeatStatus.Unknown
        secondary = status[1] if len(status) > 1 else None
        if secondary is ComponentStatus.Ok:
            return HeartbeatStatus.OkApplicationsHealthy
        if secondary is ComponentStatus.ApplicationCritical:
            return HeartbeatStatus.OkApplicationsCritical
        return HeartbeatStatus.OkApplicationsUnknown

    # ------------------------------------------------------------------ guest services

    def kvp_intrinsic_items(self, now: float) -> dict[str, str]:
        """`GuestIntrinsicExchangeItems` as the host holds them now, by item name.

        Nothing while the VM does not run, the KVP component is disabled or the guest's KVP service (Linux:
        hv_kvp_daemon) never answered; the last values received (stale) while an answering guest hangs.
        """
        kvp = self.kvp
        if not self.guest_answers(ic.KVP.ic_guid, now):
            kvp.last_reported = {}
        elif self.guest_hung(now):
            pass  # stale: the guest stopped sending updates
        else:
            kvp.last_reported = kvp.intrinsic()
        return dict(kvp.last_reported)

    def kvp_answers(self, now: float) -> bool:
        """Whether the guest's KVP service exchanges items right now (not while it hangs)."""
        return self.guest_answers(ic.KVP.ic_guid, now) and not self.guest_hung(now)

    def kvp_guest_items(self, now: float) -> dict[str, str]:
        """`GuestExchangeItems` as the host holds them now: nothing while the KVP service never answered (as
        for the intrinsic items); the last values received while the guest hangs."""
        kvp = self.kvp
        if not self.guest_answers(ic.KVP.ic_guid, now):
            kvp.last_published = {}
        elif not self.guest_hung(now):
            kvp.last_published = kvp.guest_items(self.uptime(now))
        return dict(kvp.last_published)

    def vss_available(self, now: float) -> bool:
        """Whether the guest can take part in a production checkpoint right now (VSS / hv_vss_daemon).

        plausible WS2022 behaviour: a VSS protocol mismatch (old Linux VSS protocol) does not prevent the
        file-system freeze when hv_vss_daemon runs.
        """
        return (
            self.state(now) is VmState.Running and self.guest_answers(ic.VSS.ic_guid, now) and not self.guest_hung(now)
        )

    # ------------------------------------------------------------------ guest clock

    def _clock_mode(self) -> ClockMode:
        state = self._state
        if state in (VmState.Saved, VmState.FastSaved, VmState.Hibernated, VmState.SavedCritical, VmState.Paused):
            return ClockMode.FROZEN
        if state in _NOT_RUNNING:
            return ClockMode.STOPPED
        synced = self.components[ic.TIME_SYNC.ic_guid].enabled and self.guest.runs_service_for(ic.TIME_SYNC.ic_guid)
        return ClockMode.SYNCED if synced else ClockMode.FREE

    def _time_sync_answers_from(self) -> float:
        """Model time from which the guest's time service takes the host's samples (after boot, handshake)."""
        run = self._run
        booted_at = run.started_at + run.paused_total + run.boot_seconds if run is not None else float("-inf")
        return max(booted_at, self.components[ic.TIME_SYNC.ic_guid].answering_from)

    def _update_clock(self, now: float, *, reset: bool = False) -> None:
        """Time sync keeps the guest clock in step while the VM runs with the IC enabled and answered."""
        mode = self._clock_mode()
        sync_from = self._time_sync_answers_from() if mode is ClockMode.SYNCED else None
        self.clock.enter(mode, now, sync_from=sync_from, reset=reset)

    def guest_clock_offset(self, now: float) -> float:
        """Seconds the guest's clock is ahead of the host's (negative: behind); 0 while the VM is off."""
        self._advance(now)
        return self.clock.offset_at(now)

    # ------------------------------------------------------------------ devices

    def device_id(self, kind: str) -> str:
        """A stable device instance GUID (upper case) for one of the VM's devices."""
        if kind not in self._device_ids:
            self._device_ids[kind] = str(uuid.uuid5(self.id, kind)).upper()
        return self._device_ids[kind]


def _describe(status: ComponentStatus, texts: HostTexts) -> str:
    return {
        ComponentStatus.Ok: texts.ok,
        ComponentStatus.NoContact: texts.no_contact,
        ComponentStatus.LostCommunication: texts.lost_communication,
        ComponentStatus.ApplicationCritical: texts.application_critical,
        ComponentStatus.ProtocolMismatch: texts.protocol_mismatch,
    }.get(status, status.name)
