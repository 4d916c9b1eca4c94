"""Checkpoints (snapshots) of a VM: what `Checkpoint-VM` takes and `Get-VMSnapshot` lists.

The VM's `CheckpointType` decides what a checkpoint is (hyperv-api.md §9):

* `Standard`: disks plus memory and device state (a running VM's checkpoint holds a saved state);
* `Production`: a backup-consistent checkpoint made with VSS in the guest (hv_vss_daemon on Linux), no
  memory; when the guest cannot take part it falls back to a standard checkpoint and says nothing about it:
  no warning, and the same `SnapshotType` (hyperv-cim-winrm.md §5);
* `ProductionOnly`: like Production, but fails instead of falling back;
* `Disabled`: no checkpoints at all.

Every checkpoint's `SnapshotType` is `Standard`: production and standard user checkpoints are both realized
snapshots (hyperv-cim-winrm.md §5). Its `State` is `Saved` when it holds a saved state and `Off` otherwise
(decompiled VMSnapshot).

plausible WS2022 behaviour: an Off VM's disks are consistent, so its production checkpoint needs no VSS; a
Saved or Paused VM's guest cannot freeze its file systems, so it cannot have one. Only Off, Running, Saved
and Paused VMs can be checkpointed; a VM in a transition is in an invalid state for it.

The checkpoint exists as soon as its job starts; the job then runs for `CheckpointResult.seconds` (a cmdlet
that watches it waits that long).
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from .reference import CheckpointType, VmState

if TYPE_CHECKING:
    from .vm import EmulatedVm

CHECKPOINTABLE_STATES = frozenset({VmState.Off, VmState.Running, VmState.Saved, VmState.Paused})
_HOLDS_MEMORY = frozenset({VmState.Running, VmState.Paused, VmState.Saved})


@dataclass
class Snapshot:
    """One checkpoint: when and how it was taken, and the VM's settings at that moment."""

    id: uuid.UUID
    name: str
    created: datetime.datetime  # host wall-clock time (UTC)
    created_at: float  # model time, orders the checkpoints like CreationTime does
    production: bool  # taken with VSS in the guest (or of an Off VM under a production type)
    saved_state: bool  # holds memory and device state (a standard checkpoint of a running VM)
    automatic: bool
    parent_id: uuid.UUID | None
    hardware: Any  # vm.Hardware, as it was (copied)
    components_enabled: dict[str, bool] = field(default_factory=dict)  # IC GUID -> Enabled, as it was


class CheckpointsDisabled(Exception):
    """The VM's CheckpointType is Disabled."""


class ProductionCheckpointUnavailable(Exception):
    """ProductionOnly, and the guest cannot take part in a production checkpoint now."""


class NotCheckpointable(Exception):
    """The VM is in a transitional state."""


def format_timestamp(moment: datetime.datetime, locale: str) -> str:
    """`MM/DD/YYYY - hh:mm:ss AM/PM` in the host's short date and long time format.

    plausible WS2022 behaviour: VMMS formats default checkpoint names with the host's regional format, which
    has no leading zeros on en-US hosts (`1/5/2024 - 9:07:03 AM`) and a 24-hour clock on de-DE hosts.
    """
    if locale.casefold() == "de-de":
        return f"{moment:%d.%m.%Y} - {moment:%H:%M:%S}"
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment.year} - {hour}:{moment:%M:%S} {'AM' if moment.hour < 12 else 'PM'}"


def default_name(vm_name: str, moment: datetime.datetime, locale: str, *, automatic: bool = False) -> str:
    """`<vm> - (<timestamp>)`, or `Automatic Checkpoint - <vm> - (<timestamp>)` for an automatic one."""
    name = f"{vm_name} - ({format_timestamp(moment, locale)})"
    return f"Automatic Checkpoint - {name}" if automatic else name


def _snapshot_id(vm: EmulatedVm) -> uuid.UUID:
    digest = hashlib.blake2b(f"{vm.seed}:{vm.id}:snapshot:{vm.snapshots_taken}".encode(), digest_size=16).digest()
    return uuid.UUID(bytes=digest, version=4)


def take_checkpoint(
    vm: EmulatedVm,
    now: float,
    moment: datetime.datetime,
    locale: str,
    *,
    name: str | None = None,
    automatic: bool = False,
) -> Snapshot:
    """Take a checkpoint the way the VM's CheckpointType says, or raise why it cannot be taken."""
    state = vm.state(now)
    if state not in CHECKPOINTABLE_STATES:
        raise NotCheckpointable(state)
    kind = vm.hardware.checkpoint_type
    if kind is CheckpointType.Disabled:
        raise CheckpointsDisabled(vm.name)
    production = kind in (CheckpointType.Production, CheckpointType.ProductionOnly) and (
        state is VmState.Off or vm.vss_available(now)
    )
    if kind is CheckpointType.ProductionOnly and not production:
        raise ProductionCheckpointUnavailable(vm.name)
    snapshot = Snapshot(
        id=_snapshot_id(vm),
        name=name or default_name(vm.name, moment, locale, automatic=automatic),
        created=moment,
        created_at=now,
        production=production,
        saved_state=not production and state in _HOLDS_MEMORY,
        automatic=automatic,
        parent_id=vm.parent_snapshot_id,
        hardware=replace(vm.hardware),
        components_enabled={guid: setting.enabled for guid, setting in vm.components.items()},
    )
    vm.snapshots_taken += 1
    vm.snapshots.append(snapshot)
    vm.parent_snapshot_id = snapshot.id
    return snapshot


def job_seconds(vm: EmulatedVm, snapshot: Snapshot, now: float) -> float:
    """How long the checkpoint job takes (host seconds, the VM's `JobDurations`): longer with the guest's VSS.

    An Off VM's production checkpoint needs no VSS; a standard one of a running VM writes its memory.
    """
    return vm.durations.checkpoint_seconds(
        vss=snapshot.production and vm.state(now) is not VmState.Off,
        memory_bytes=vm.memory_assigned(now) if snapshot.saved_state else 0,
    )


def find(vm: EmulatedVm, snapshot_id: uuid.UUID | None) -> Snapshot | None:
    return next((s for s in vm.snapshots if s.id == snapshot_id), None) if snapshot_id is not None else None


def children(vm: EmulatedVm, snapshot: Snapshot) -> list[Snapshot]:
    return [s for s in vm.snapshots if s.parent_id == snapshot.id]


def delete(vm: EmulatedVm, snapshot: Snapshot) -> None:
    """Remove one checkpoint; its children (and the VM, if it derives from it) move up to its parent."""
    vm.snapshots.remove(snapshot)
    for child in children(vm, snapshot):
        child.parent_id = snapshot.parent_id
    if vm.parent_snapshot_id == snapshot.id:
        vm.parent_snapshot_id = snapshot.parent_id


def subtree(vm: EmulatedVm, snapshot: Snapshot) -> list[Snapshot]:
    """The checkpoint and all its descendants, children after their parent."""
    found = [snapshot]
    for item in found:
        found.extend(children(vm, item))
    return found


def delete_job_seconds(vm: EmulatedVm, count: int) -> float:
    """How long deleting `count` checkpoints takes (each merges its differencing disk)."""
    return vm.durations.delete_checkpoint * max(1, count)
