"""Checkpoints: what the host lists, what creating one produced, and what to warn about beforehand.

A production checkpoint is a backup-consistent one: the guest flushes its applications and file systems
through the VSS integration service (`hv_vss_daemon` on Linux), and no memory state is kept. Without a
working VSS service the host cannot take one; with checkpoint type Production it silently takes a standard
checkpoint instead (memory state included), with ProductionOnly it fails (hyperv-api.md §9).

"Silently" is literal: `Checkpoint-VM` writes no warning, and both kinds are listed with `SnapshotType`
Standard (hyperv-cim-winrm.md §5). No source shows a way to tell afterwards which one the host took, so
hvgui says what Hyper-V does beforehand (`checkpoint_warning`) and as a standing note
(`PRODUCTION_FALLBACK_NOTE`), and never claims to know.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from hvgui.domain.integration import VSS, ComponentStatus
from hvgui.domain.power import describe_state
from hvgui.domain.vm import CheckpointType, Vm, VmState

#: What the Checkpoints tab tells the admin about every listed checkpoint's type.
PRODUCTION_FALLBACK_NOTE = (
    "Type is what the host reports, and it reports production and standard checkpoints alike as Standard. "
    "With checkpoint type Production, Hyper-V takes a standard checkpoint (with the memory state) when the "
    "guest's VSS service cannot take part, and does not report which of the two it took; with Production "
    "only, the checkpoint fails instead."
)


class SnapshotType(enum.IntEnum):
    """`Microsoft.HyperV.PowerShell.SnapshotType` (a production checkpoint is listed as Standard too)."""

    Standard = 0
    Recovery = 1
    Planned = 2
    Missing = 5
    Replica = 6
    AppConsistentReplica = 7
    SyncedReplica = 8


CHECKPOINT_TYPE_LABELS: dict[CheckpointType, str] = {
    CheckpointType.Disabled: "Disabled",
    CheckpointType.Production: "Production (standard if production is not possible)",
    CheckpointType.ProductionOnly: "Production only",
    CheckpointType.Standard: "Standard",
}

CHECKPOINT_TYPE_DESCRIPTIONS: dict[CheckpointType, str] = {
    CheckpointType.Disabled: "No checkpoints can be taken of this VM.",
    CheckpointType.Production: (
        "Backup-consistent checkpoints through VSS in the guest, without memory state; when the guest cannot "
        "take part, a standard checkpoint is taken instead."
    ),
    CheckpointType.ProductionOnly: (
        "Backup-consistent checkpoints through VSS in the guest only; when the guest cannot take part, "
        "the checkpoint fails."
    ),
    CheckpointType.Standard: (
        "Saves the disks and the memory state of the running VM; for test and development, not for "
        "production workloads such as domain controllers or databases."
    ),
}


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint (`Microsoft.HyperV.PowerShell.VMSnapshot`) as the host lists it."""

    checkpoint_id: str  # lower-case GUID text
    name: str
    vm_id: str  # lower-case GUID text
    vm_name: str
    snapshot_type: SnapshotType
    is_automatic: bool = False
    creation_time: datetime.datetime | None = None
    parent_id: str | None = None
    parent_name: str = ""
    checkpoint_type: CheckpointType | None = None  # the VM's setting recorded with it, when the host reports it


@dataclass(frozen=True)
class CheckpointOutcome:
    """What `Checkpoint-VM` produced: the checkpoint (None if the host returned none) and its warnings.

    Whether a Production checkpoint fell back to standard is not part of it: the host does not say.
    """

    checkpoint: Checkpoint | None
    warnings: tuple[str, ...] = ()


def vss_unavailable_reason(vm: Vm) -> str | None:
    """Why the guest cannot take part in a production checkpoint now (its VSS service), or None if it can."""
    service = vm.service(VSS.ic_guid)
    if service is None:
        return "the host reports no VSS integration service for it"
    if not service.enabled:
        return "its VSS integration service is disabled"
    if service.primary is ComponentStatus.Ok:
        return None
    if service.primary is ComponentStatus.NoContact:
        return "its guest does not answer the VSS integration service (No Contact)"
    if service.primary is ComponentStatus.LostCommunication:
        return "its guest stopped answering the VSS integration service (Lost Communication)"
    reported = service.primary_text or (service.primary.name if service.primary is not None else "no status")
    return f"its VSS integration service reports {reported!r}"


def checkpoint_warning(vm: Vm) -> str | None:
    """What to tell the admin before creating a checkpoint of the VM, or None when nothing is unusual.

    A production checkpoint needs the guest's help unless the VM is off: the guest must run and its VSS
    service must answer.
    """
    name = f"'{vm.name}'"
    checkpoint_type = vm.checkpoint_type
    if checkpoint_type is CheckpointType.Disabled:
        return (
            f"Checkpoints are disabled for {name} (checkpoint type Disabled), so creating one will fail. "
            "Change its checkpoint type first."
        )
    if vm.state.is_transitional:
        return f"{name} is {describe_state(vm.state)}; a checkpoint can be taken once that finishes."
    if checkpoint_type not in (CheckpointType.Production, CheckpointType.ProductionOnly):
        return None
    if vm.state in (VmState.Off, VmState.OffCritical):
        return None  # the disks of an Off VM are consistent without the guest's help
    if vm.state is VmState.Running:
        reason = vss_unavailable_reason(vm)
    else:
        # plausible WS2022 behaviour: a saved or paused guest cannot freeze its file systems.
        reason = f"it is {describe_state(vm.state)}, so its guest cannot take part"
    if reason is None:
        return None
    if checkpoint_type is CheckpointType.Production:
        return (
            f"A production checkpoint of {name} is not possible because {reason}. Hyper-V will take a "
            "standard checkpoint instead: it includes the memory state, and applying it later resumes "
            "the guest exactly where it was, which production workloads such as domain controllers and "
            "databases do not tolerate. Hyper-V does not report afterwards which kind it took."
        )
    if vm.state is VmState.Running:
        advice = "Enable the VSS service (and make sure it runs in the guest), or change the checkpoint type."
    else:
        advice = "Start or resume the VM first, or change the checkpoint type."
    return f"Creating a checkpoint of {name} will fail: its checkpoint type is Production only and {reason}. {advice}"


#: The most descendant names the delete question lists before it says "and N more".
DESCENDANTS_SHOWN = 10
#: Rename-VMSnapshot takes any non-empty name; Hyper-V Manager limits names to 100 characters.
MAX_NAME_LENGTH = 100


def apply_question(vm_name: str, checkpoint_name: str) -> str:
    """What applying a checkpoint loses, asked first (Hyper-V Manager asks too)."""
    return (
        f"Apply checkpoint '{checkpoint_name}' to '{vm_name}'?\n\n"
        f"'{vm_name}' goes back to the moment of the checkpoint. Its current state is lost: if it is running it "
        "is turned off first (like pulling the power cord), and every change since the checkpoint (files, "
        "installed updates, settings) is discarded, unless you create a checkpoint of the current state first. "
        "The other checkpoints stay."
    )


def delete_question(vm_name: str, checkpoint_name: str, descendant_names: Sequence[str] = ()) -> str:
    """What deleting a checkpoint (and, with `descendant_names`, the checkpoints below it) loses, asked first."""
    if not descendant_names:
        return (
            f"Delete checkpoint '{checkpoint_name}' of '{vm_name}'?\n\n"
            "The VM can no longer go back to this point. Its current state does not change, and the checkpoints "
            "below this one stay (they move up). Its differencing disk is merged into its parent, which can take "
            "a while for a large disk."
        )
    shown = [f"\u2022 '{name}'" for name in descendant_names[:DESCENDANTS_SHOWN]]
    more = len(descendant_names) - DESCENDANTS_SHOWN
    if more > 0:
        shown.append(f"\u2022 and {more} more")
    below = len(descendant_names)
    return (
        f"Delete checkpoint '{checkpoint_name}' of '{vm_name}' and the {below} checkpoint{'s' if below > 1 else ''} "
        "below it?\n\n" + "\n".join(shown) + f"\n\nThe VM can no longer go back to any of these {below + 1} "
        "points. Its current state does not change. Their differencing disks are merged into their parents, "
        "which can take a while for large disks."
    )


def rename_problem(new_name: str, old_name: str) -> str | None:
    """Why a new checkpoint name cannot be used, or None."""
    if not new_name.strip():
        return "A checkpoint needs a name."
    if len(new_name) > MAX_NAME_LENGTH:
        return f"A checkpoint name has at most {MAX_NAME_LENGTH} characters; this one has {len(new_name)}."
    if new_name == old_name:
        return "That is its name already."
    return None


def descendants(checkpoints: Sequence[Checkpoint], checkpoint_id: str) -> list[Checkpoint]:
    """The checkpoints below one (children, their children, ...), each after its parent."""
    found: list[Checkpoint] = []
    frontier = [checkpoint_id]
    while frontier:
        parent = frontier.pop(0)
        for checkpoint in checkpoints:
            if checkpoint.parent_id == parent:
                found.append(checkpoint)
                frontier.append(checkpoint.checkpoint_id)
    return found
