"""Typed operations: every change hvgui makes on a host, with what it needs to be run, asked about and shown.

Each kind of change is its own class: its parameters, its confirmation text (None when it needs none), its
PowerShell display text (naming the host with `-ComputerName` and the VM by Id, so the text does on an admin
workstation exactly what hvgui did), its deadline, and how to tell from an inventory that it has taken effect.
The remoting layer runs them (one path per host: run, then request a refresh); the window lists them in the
Activity panel as `OperationRecord`s, which are immutable snapshots, replaced as the operation advances.

A deadline that passes does not mean failure: Hyper-V finishes a job whose caller stopped waiting. The record
then says `StillRunning` and the runner watches the VM until `settled` says the change took effect.
"""

from __future__ import annotations

import enum
import itertools
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath, PureWindowsPath
from typing import ClassVar
from urllib.parse import urlsplit

from hvgui.domain import bulk, checkpoints, psdisplay
from hvgui.domain.errors import HvGuiError
from hvgui.domain.integration import service_for_guid
from hvgui.domain.power import PowerAction, confirm_text
from hvgui.domain.vm import CheckpointType, Vm, VmKey, VmState


class OperationState(enum.Enum):
    Queued = "queued"
    Running = "running"
    #: The deadline passed; the host is still working on it and hvgui watches the VM until it settles.
    StillRunning = "still running on the host"
    Succeeded = "succeeded"
    Failed = "failed"
    Cancelled = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (OperationState.Succeeded, OperationState.Failed, OperationState.Cancelled)

    @property
    def label(self) -> str:
        return self.value[0].upper() + self.value[1:]


@dataclass(frozen=True)
class VmTarget:
    """The VM an operation acts on: its host (session key and the name an admin's shell reaches it by)."""

    host: str  # session key (`ConnectionSettings.key`)
    computer_name: str  # for `-ComputerName`: the host name or address hvgui connected to
    vm_id: str  # lower-case GUID text
    vm_name: str  # for messages only; commands address the VM by id

    @property
    def vm_key(self) -> VmKey:
        return VmKey(self.host, self.vm_id)

    @classmethod
    def of(cls, vm: Vm, computer_name: str) -> VmTarget:
        return cls(host=vm.host, computer_name=computer_name, vm_id=vm.vm_id, vm_name=vm.name)


#: Default seconds an operation may take before the window says "still running on the host" (configurable:
#: pass another mapping to the runner). A toggle takes seconds; shutdown, save and checkpoints take minutes.
DEFAULT_DEADLINES: Mapping[str, float] = {
    "service": 60.0,
    "checkpoint-type": 60.0,
    "power:Start": 180.0,
    "power:ShutDown": 300.0,
    "power:TurnOff": 60.0,
    "power:Save": 300.0,
    "power:Restart": 300.0,
    "power:Pause": 60.0,
    "power:Resume": 60.0,
    "checkpoint": 600.0,
    "checkpoint-apply": 600.0,
    "checkpoint-delete": 1800.0,  # a merge of large differencing disks takes long
    "checkpoint-rename": 60.0,
    "copy-to-guest": 3600.0,
    "copy-from-guest": 3600.0,
}


@dataclass(frozen=True)
class Operation(ABC):
    """One change on one VM."""

    target: VmTarget

    #: The Activity panel's "what" column and the key of `DEFAULT_DEADLINES` (see `deadline_key`).
    kind: ClassVar[str] = ""
    #: Whether Cancel stops it cleanly while it runs: True when the work is hvgui's own calls (a transfer,
    #: which stops between chunks and cleans up), False when it waits for a host job that goes on regardless.
    stops_when_cancelled: ClassVar[bool] = False

    @property
    def deadline_key(self) -> str:
        return self.kind

    def deadline(self, deadlines: Mapping[str, float] = DEFAULT_DEADLINES) -> float:
        return deadlines.get(self.deadline_key, DEFAULT_DEADLINES.get(self.deadline_key, 60.0))

    @property
    @abstractmethod
    def title(self) -> str:
        """One line: "Shut down 'web01'"."""

    def confirmation(self) -> str | None:
        """The question to ask before running it, or None."""
        return None

    @abstractmethod
    def powershell(self) -> str:
        """The command an admin can run from a workstation to do the same (display text only)."""

    def settled(self, vm: Vm | None) -> bool | None:
        """Whether an inventory row shows the change done; None when an inventory cannot tell."""
        return None

    def _vm(self) -> str:
        """`Get-VM -ComputerName 'hv01' -Id '…'`: the start of every display pipeline (`psdisplay.get_vm`)."""
        return psdisplay.get_vm(self.target.computer_name, self.target.vm_id)


_POWER_TITLES = {
    PowerAction.Start: "Start",
    PowerAction.ShutDown: "Shut down",
    PowerAction.TurnOff: "Turn off",
    PowerAction.Save: "Save",
    PowerAction.Restart: "Restart",
    PowerAction.Pause: "Pause",
    PowerAction.Resume: "Resume",
}

_POWER_SETTLED = {
    PowerAction.Start: VmState.Running,
    PowerAction.ShutDown: VmState.Off,
    PowerAction.TurnOff: VmState.Off,
    PowerAction.Save: VmState.Saved,
    PowerAction.Restart: VmState.Running,
    PowerAction.Pause: VmState.Paused,
    PowerAction.Resume: VmState.Running,
}


@dataclass(frozen=True)
class PowerOperation(Operation):
    action: PowerAction = PowerAction.Start
    #: The VM's state when the admin asked: Start on a paused VM resumes it, on a saved one restores it.
    from_state: VmState | None = None
    kind: ClassVar[str] = "power"

    @property
    def deadline_key(self) -> str:
        return f"power:{self.action.name}"

    @property
    def title(self) -> str:
        return f"{_POWER_TITLES[self.action]} '{self.target.vm_name}'"

    def confirmation(self) -> str | None:
        return confirm_text(self.action, [self.target.vm_name])

    def powershell(self) -> str:
        vm = self._vm()
        if self.action is PowerAction.Start:
            return f"{vm} | Start-VM"
        if self.action is PowerAction.ShutDown:
            return f"{vm} | Stop-VM"
        if self.action is PowerAction.TurnOff:
            return f"{vm} | Stop-VM -TurnOff"
        if self.action is PowerAction.Save:
            return f"{vm} | Save-VM"
        if self.action is PowerAction.Pause:
            return f"{vm} | Suspend-VM"
        if self.action is PowerAction.Resume:
            return f"{vm} | Resume-VM"
        return f"{vm} | Restart-VM -Force"  # hvgui has asked already; -Force answers Restart-VM's own prompt

    def settled(self, vm: Vm | None) -> bool | None:
        if vm is None:
            return None
        return vm.state is _POWER_SETTLED[self.action]


@dataclass(frozen=True)
class ServiceToggleOperation(Operation):
    ic_guid: str = ""
    enable: bool = True
    service_name: str = ""  # as the host reports it, for messages
    kind: ClassVar[str] = "service"

    @property
    def title(self) -> str:
        verb = "Enable" if self.enable else "Disable"
        return f"{verb} {self.service_name or _service_name(self.ic_guid)} on '{self.target.vm_name}'"

    @classmethod
    def of_change(cls, change: bulk.PlannedChange, computer_name: str) -> ServiceToggleOperation:
        """The operation that makes one planned change (a line of a bulk plan; a toggle is a plan of one)."""
        key = change.vm_key
        target = VmTarget(host=key.host, computer_name=computer_name, vm_id=key.vm_id, vm_name=change.vm_name)
        return cls(target, ic_guid=change.ic_guid, enable=change.enable, service_name=change.service_name)

    def confirmation(self) -> str | None:
        """The question before disabling a High-impact service (Shutdown, Time Synchronization), or None."""
        return bulk.confirm_text([self.planned_change()])

    def planned_change(self) -> bulk.PlannedChange:
        """This toggle as one line of a plan (the bulk preview's and the confirmation's wording)."""
        return bulk.PlannedChange(
            vm_key=self.target.vm_key,
            vm_name=self.target.vm_name,
            ic_guid=self.ic_guid.upper(),
            service_name=self.service_name or _service_name(self.ic_guid),
            enable=self.enable,
        )

    def powershell(self) -> str:
        verb = "Enable" if self.enable else "Disable"
        pattern = psdisplay.quote("*\\" + psdisplay.escape_wildcards(self.ic_guid.upper()))
        return (
            f"{self._vm()} | Get-VMIntegrationService | Where-Object {{ $_.Id -like {pattern} }} | "
            f"{verb}-VMIntegrationService"
        )

    def settled(self, vm: Vm | None) -> bool | None:
        service = vm.service(self.ic_guid) if vm is not None else None
        return None if service is None else service.enabled == self.enable


def _service_name(ic_guid: str) -> str:
    info = service_for_guid(ic_guid)
    return info.name if info is not None else ic_guid


@dataclass(frozen=True)
class CheckpointTypeOperation(Operation):
    checkpoint_type: CheckpointType = CheckpointType.Production
    kind: ClassVar[str] = "checkpoint-type"

    @property
    def title(self) -> str:
        return f"Set checkpoint type of '{self.target.vm_name}' to {self.checkpoint_type.name}"

    def powershell(self) -> str:
        return f"{self._vm()} | Set-VM -CheckpointType {self.checkpoint_type.name}"

    def settled(self, vm: Vm | None) -> bool | None:
        return None if vm is None else vm.checkpoint_type is self.checkpoint_type


@dataclass(frozen=True)
class CheckpointCreateOperation(Operation):
    name: str | None = None  # None: the host names it
    kind: ClassVar[str] = "checkpoint"

    @property
    def title(self) -> str:
        named = f" '{self.name}'" if self.name else ""
        return f"Create checkpoint{named} of '{self.target.vm_name}'"

    def powershell(self) -> str:
        command = f"{self._vm()} | Checkpoint-VM"
        if self.name:
            command += f" -SnapshotName {psdisplay.quote(self.name)}"
        return command


@dataclass(frozen=True)
class _CheckpointChange(Operation):
    """A change to one existing checkpoint, addressed by its id (names need not be unique)."""

    checkpoint_id: str = ""
    checkpoint_name: str = ""  # as the host listed it, for messages

    def _checkpoint(self) -> str:
        return psdisplay.get_checkpoint(self.target.computer_name, self.checkpoint_id)


@dataclass(frozen=True)
class CheckpointApplyOperation(_CheckpointChange):
    """`Restore-VMSnapshot`: the VM goes back to the checkpoint; its current state is lost."""

    kind: ClassVar[str] = "checkpoint-apply"

    @property
    def title(self) -> str:
        return f"Apply checkpoint '{self.checkpoint_name}' to '{self.target.vm_name}'"

    def confirmation(self) -> str | None:
        return checkpoints.apply_question(self.target.vm_name, self.checkpoint_name)

    def powershell(self) -> str:
        return f"{self._checkpoint()} | Restore-VMSnapshot -Confirm:$false"


@dataclass(frozen=True)
class CheckpointDeleteOperation(_CheckpointChange):
    """`Remove-VMSnapshot [-IncludeAllChildSnapshots]`: the checkpoint (and its subtree) can no longer be
    applied; its differencing disks are merged into their parents."""

    subtree: bool = False
    #: The names of the checkpoints deleted with it (its descendants), for the question.
    descendant_names: tuple[str, ...] = ()
    kind: ClassVar[str] = "checkpoint-delete"

    @property
    def title(self) -> str:
        what = "checkpoint subtree" if self.subtree else "checkpoint"
        return f"Delete {what} '{self.checkpoint_name}' of '{self.target.vm_name}'"

    def confirmation(self) -> str | None:
        return checkpoints.delete_question(
            self.target.vm_name, self.checkpoint_name, self.descendant_names if self.subtree else ()
        )

    def powershell(self) -> str:
        subtree = " -IncludeAllChildSnapshots" if self.subtree else ""
        return f"{self._checkpoint()} | Remove-VMSnapshot{subtree} -Confirm:$false"


@dataclass(frozen=True)
class CheckpointRenameOperation(_CheckpointChange):
    """`Rename-VMSnapshot -NewName`."""

    new_name: str = ""
    kind: ClassVar[str] = "checkpoint-rename"

    @property
    def title(self) -> str:
        return f"Rename checkpoint '{self.checkpoint_name}' of '{self.target.vm_name}' to '{self.new_name}'"

    def powershell(self) -> str:
        return f"{self._checkpoint()} | Rename-VMSnapshot -NewName {psdisplay.quote(self.new_name)}"


def _new_transfer_key() -> str:
    return uuid.uuid4().hex


class ExistingFile(enum.Enum):
    """What a copy does with a file that already exists in the guest."""

    Ask = "ask"
    Overwrite = "overwrite"
    Skip = "skip"


@dataclass(frozen=True)
class CopyToGuestOperation(Operation):
    """Files and folders of this computer copied into a running guest: streamed to a staging folder on the
    host, verified there (SHA-256), then handed to `Copy-VMFile` through the Guest Service Interface."""

    sources: tuple[str, ...] = ()  # files or folders on this computer (folders are copied recursively)
    guest_folder: str = ""  # the destination folder in the guest, e.g. C:\Temp
    create_folders: bool = True  # Copy-VMFile -CreateFullPath
    existing: ExistingFile = ExistingFile.Ask
    #: Guest paths a failed attempt copied already: a retry does not send them again (see `retry_of`).
    already_copied: tuple[str, ...] = ()
    #: Names what this copy stages on the host, the same in every attempt, so a retry finds the files a
    #: dropped connection left staged (the engine derives each file's transfer id from it).
    transfer_key: str = field(default_factory=_new_transfer_key, compare=False)
    attempt: int = 1  # 2 and more: a retry, which checks what is staged before it sends
    kind: ClassVar[str] = "copy-to-guest"
    stops_when_cancelled: ClassVar[bool] = True

    @property
    def title(self) -> str:
        count = len(self.sources)
        what = f"'{PurePath(self.sources[0]).name}'" if count == 1 else f"{count} items"
        return f"Copy {what} to '{self.target.vm_name}' ({self.guest_folder})"

    def powershell(self) -> str:
        """What an admin types for the same copy once the files are on the host (Copy-VMFile copies only
        from the host): one Copy-VMFile per top-level file, the VM by Id."""
        lines = ["# first put the files on the host, e.g. Copy-Item -ToSession, then:"]
        for source in self.sources:
            name = PurePath(source).name
            staged = psdisplay.quote(_guest_join(_STAGING_EXAMPLE, name))
            destination = psdisplay.quote(_guest_join(self.guest_folder, name))
            command = f"{self._vm()} | Copy-VMFile -SourcePath {staged} -DestinationPath {destination} -FileSource Host"
            if self.create_folders:
                command += " -CreateFullPath"
            if self.existing is ExistingFile.Overwrite:
                command += " -Force"
            lines.append(command)
        return "\n".join(lines)


#: Where the display text says the files were put on the host (an example an admin adapts).
_STAGING_EXAMPLE = "C:\\Staging"


@dataclass(frozen=True)
class CopyFromGuestOperation(Operation):
    """Files or folders of a running Windows guest copied to this computer: PowerShell Direct on the host
    (`New-PSSession -VMId -Credential`, `Copy-Item -FromSession`) puts them in the host's staging folder, and a
    chunked, verified download brings them here. The guest account's password is never part of the
    operation (it is shown, listed and logged): the session's guest credentials hold it."""

    guest_paths: tuple[str, ...] = ()  # files or folders in the guest, e.g. C:\Logs\setup.log
    local_folder: str = ""  # where they land on this computer
    guest_user: str = ""  # the guest account PowerShell Direct signs in with (e.g. .\Administrator)
    existing: ExistingFile = ExistingFile.Ask  # a local file of the same name
    #: Files on this computer a failed attempt copied already: a retry does not download them again.
    already_copied: tuple[str, ...] = ()
    transfer_key: str = field(default_factory=_new_transfer_key, compare=False)
    attempt: int = 1
    kind: ClassVar[str] = "copy-from-guest"
    stops_when_cancelled: ClassVar[bool] = True  # the engine stops between chunks and removes what it staged

    @property
    def title(self) -> str:
        count = len(self.guest_paths)
        what = f"'{PureWindowsPath(self.guest_paths[0]).name}'" if count == 1 else f"{count} items"
        return f"Copy {what} from '{self.target.vm_name}' to {self.local_folder}"

    def powershell(self) -> str:
        """What an admin types on the host for the same copy into a host folder (PowerShell Direct)."""
        user = psdisplay.quote(self.guest_user)
        lines = [
            f"$session = New-PSSession -VMId {psdisplay.quote(self.target.vm_id)} -Credential (Get-Credential {user})"
        ]
        staging = psdisplay.quote(_STAGING_EXAMPLE)
        lines += [
            f"Copy-Item -FromSession $session -Path {psdisplay.quote(path)} -Destination {staging} -Recurse"
            for path in self.guest_paths
        ]
        lines.append("Remove-PSSession $session")
        return "\n".join(lines)


def _guest_join(folder: str, name: str) -> str:
    return folder.rstrip("\\/") + "\\" + name if folder else name


def powershell_script(operations: Iterable[Operation]) -> str:
    """The commands of several operations, grouped per host in the order met.

    A group is one session (`target.host`), not one address: every emulated host of the demo is `127.0.0.1`,
    and two hosts reached through one address are still two hosts. With more than one group, each is headed by
    a comment naming its host (`host_headings`).
    """
    by_host: dict[str, list[Operation]] = {}
    for operation in operations:
        by_host.setdefault(operation.target.host, []).append(operation)
    blocks = [[op.powershell() for op in group] for group in by_host.values()]
    if len(blocks) == 1:
        return "\n".join(blocks[0])
    headings = host_headings([group[0].target for group in by_host.values()])
    return "\n\n".join("\n".join([heading, *lines]) for heading, lines in zip(headings, blocks, strict=True))


def host_headings(targets: Sequence[VmTarget]) -> list[str]:
    """One comment line per host (`# hv01.lab.test`), telling apart hosts reached through the same address.

    Two sessions on one address differ in their port (`# 127.0.0.1 (port 50001)`), or else in their whole
    connection key.
    """
    by_name: dict[str, list[VmTarget]] = {}
    for target in targets:
        by_name.setdefault(target.computer_name, []).append(target)
    headings = []
    for target in targets:
        shared = by_name[target.computer_name]
        if len(shared) == 1:
            headings.append(psdisplay.comment(target.computer_name))
            continue
        ports = [_port(t.host) for t in shared]
        port = _port(target.host)
        tell = f"port {port}" if port is not None and ports.count(port) == 1 else target.host
        headings.append(psdisplay.comment(f"{target.computer_name} ({tell})"))
    return headings


def _port(key: str) -> int | None:
    """The port of a connection key (`https://hv01:5986` -> 5986), None when it names none."""
    try:
        return urlsplit(key).port if "://" in key else None
    except ValueError:
        return None


class FileState(enum.Enum):
    """Where one file of a copy stands."""

    Waiting = "waiting"
    Copying = "copying"
    Copied = "copied"
    Skipped = "skipped"  # it existed at the destination and the admin chose Skip
    Exists = "exists"  # it existed at the destination and the admin chose Ask: not copied yet
    Failed = "failed"
    #: The connection dropped: what reached the host stays staged there, and Retry goes on from it.
    Interrupted = "interrupted"

    @property
    def label(self) -> str:
        return self.value[0].upper() + self.value[1:]


@dataclass(frozen=True)
class FileProgress:
    """One file of a copy: its own progress and outcome (the Activity panel lists them for the operation)."""

    name: str  # the guest path of a copy into a guest; the path on this computer of a copy out
    size: int
    done: int = 0
    state: FileState = FileState.Waiting
    reason: str = ""  # why it failed, or was not copied
    #: The transfer id of what stays staged on the host for a retry (a copy into a guest), else "".
    staged: str = ""

    @property
    def percent(self) -> int:
        return 100 if self.size == 0 else min(100, self.done * 100 // self.size)


@dataclass(frozen=True)
class OperationProgress:
    """What the host last said about a running job (its progress record); for a copy, also every file."""

    percent: int | None = None  # 0-100; None while the host said nothing
    text: str = ""  # e.g. "Shut down a virtual machine"
    files: tuple[FileProgress, ...] = ()


_ids = itertools.count(1)


def next_operation_id() -> int:
    return next(_ids)


@dataclass(frozen=True)
class OperationRecord:
    """One operation as the Activity panel shows it: an immutable snapshot, replaced as it advances."""

    operation: Operation
    op_id: int = field(default_factory=next_operation_id)
    state: OperationState = OperationState.Queued
    queued_at: float = 0.0  # time.time()
    started_at: float | None = None
    ended_at: float | None = None
    progress: OperationProgress = OperationProgress()
    message: str = ""  # the outcome in one sentence, or the error's message
    warnings: tuple[str, ...] = ()
    error: HvGuiError | None = None
    cancellable: bool = True  # False once the host's job runs (stopping the pipeline would not stop it)
    result: object | None = None  # e.g. the new checkpoint

    @property
    def duration(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.ended_at if self.ended_at is not None else None
        return None if end is None else max(0.0, end - self.started_at)

    def advanced(self, **changes: object) -> OperationRecord:
        return replace(self, **changes)

    @property
    def cancel_effect(self) -> str | None:
        """What Cancel does now, in a sentence for its tooltip; None once the operation is final.

        A queued operation never reaches the host. A running one can only be stopped on hvgui's side: Hyper-V
        goes on with a job it has started (a shutdown, a save, a checkpoint), so Cancel means "stop waiting".
        """
        if self.state.is_final:
            return None
        if self.state is OperationState.Queued:
            return "Cancel: it is never sent to the host."
        if self.operation.stops_when_cancelled:
            return "Cancel: hvgui stops it and removes what it staged on the host; finished parts stay done."
        return "Stop waiting: hvgui stops its command, but a job the host has started goes on."


def records_script(records: Sequence[OperationRecord]) -> str:
    """`powershell_script` for records (the Activity panel's Copy as PowerShell)."""
    return powershell_script(r.operation for r in records)


def staged_transfers(record: OperationRecord) -> tuple[str, ...]:
    """The transfer ids of what a copy left staged on the host for a retry (after a dropped connection)."""
    return tuple(f.staged for f in record.progress.files if f.staged)


def can_retry(record: OperationRecord) -> bool:
    """Whether Retry is offered: a copy that failed or was cancelled."""
    return record.state in (OperationState.Failed, OperationState.Cancelled) and isinstance(
        record.operation, (CopyToGuestOperation, CopyFromGuestOperation)
    )


def retry_of(record: OperationRecord) -> Operation | None:
    """The operation a retry runs: the same copy (same `transfer_key`, so it finds what stays staged), without
    the files the failed attempt copied already. None when `record` cannot be retried."""
    if not can_retry(record):
        return None
    operation = record.operation
    assert isinstance(operation, (CopyToGuestOperation, CopyFromGuestOperation))
    copied = [f.name for f in record.progress.files if f.state is FileState.Copied]
    done = tuple(dict.fromkeys([*operation.already_copied, *copied]))
    return replace(operation, already_copied=done, attempt=operation.attempt + 1)
