"""Commands on VMs: integration-service toggles, power actions, checkpoints and file copies, run off the
widgets' hands.

Widgets call an intent (`set_service`, `power`, `create_checkpoint`, `copy_to_vm`, ...). Each change becomes a typed
operation (`hvgui.domain.operations`) submitted to its host's one command path (`HostSession.operations`):
the host's work lane runs it with its deadline and progress, then the host refreshes, merged with the other
operations' refreshes. Tabs listen to three signals: `pending(VmAction)` when the command starts,
`finished(ActionResult)` when the host carried it out (with its warnings) and `failed(ActionFailure)` when it
did not (with the host's reason). The outcome comes after the refresh that follows the operation, so a row
that showed "pending" then already holds what the host reports. A job that outlives its deadline is not a
failure: its outcome arrives when the host shows it done.

A command on a host whose data is stale, or that is failing, may wait long before anything happens, so the
person is told before it waits: `notice(str)` carries the host's staleness warning (the window shows it in its
status bar), and the operation's record says it until the host's answer replaces it.

The Activity panel listens to `operation_changed(OperationRecord)`, which carries every snapshot of every
operation on every host (bulk changes included), and calls `records()`, `cancel_operation(op_id)`,
`retry_operation(op_id)` and `discard_staged(op_id)`.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from hvgui.domain import psdisplay
from hvgui.domain.bulk import planned_change
from hvgui.domain.checkpoints import Checkpoint, CheckpointOutcome
from hvgui.domain.errors import HvGuiError
from hvgui.domain.existing_files import AskExisting
from hvgui.domain.operations import (
    CheckpointApplyOperation,
    CheckpointCreateOperation,
    CheckpointDeleteOperation,
    CheckpointRenameOperation,
    CheckpointTypeOperation,
    CopyFromGuestOperation,
    CopyToGuestOperation,
    ExistingFile,
    Operation,
    OperationRecord,
    OperationState,
    PowerOperation,
    ServiceToggleOperation,
    VmTarget,
)
from hvgui.domain.power import PowerAction, done_text, shutdown_blocker
from hvgui.domain.vm import CheckpointType, Vm, VmKey
from hvgui.ui.controllers.guest_browse import GuestBrowseController

if TYPE_CHECKING:
    from hvgui.ui.controllers.hosts_controller import HostsController

log = logging.getLogger(__name__)

#: Operation records the window keeps for the Activity panel (the oldest finished ones are forgotten).
RECORD_HISTORY = 1000


class ActionKind(enum.Enum):
    SetService = "set-service"
    Power = "power"
    CreateCheckpoint = "create-checkpoint"
    ListCheckpoints = "list-checkpoints"
    SetCheckpointType = "set-checkpoint-type"
    ApplyCheckpoint = "apply-checkpoint"
    DeleteCheckpoint = "delete-checkpoint"
    RenameCheckpoint = "rename-checkpoint"
    CopyToGuest = "copy-to-guest"
    CopyFromGuest = "copy-from-guest"


@dataclass(frozen=True)
class VmAction:
    """One command on one VM, as the window asked for it: a typed operation, or a read (no operation)."""

    kind: ActionKind
    vm_key: VmKey
    vm_name: str
    description: str  # "Disable Shutdown on 'devbox-01'", for messages
    powershell: str = ""  # the equivalent command for "Copy as PowerShell" (display text only)
    operation: Operation | None = None  # None for reads, such as listing checkpoints

    @property
    def changes_host(self) -> bool:
        return self.operation is not None


@dataclass(frozen=True)
class ActionResult:
    """The host carried the command out."""

    action: VmAction
    message: str  # one sentence for a status bar or an inline message
    warnings: tuple[str, ...] = ()
    outcome: CheckpointOutcome | None = None
    checkpoints: tuple[Checkpoint, ...] = field(default=())


@dataclass(frozen=True)
class ActionFailure:
    """The host refused the command, hvgui stopped watching it, or it was never sent (and why)."""

    action: VmAction
    reason: str  # the host's reason with hvgui's advice, for the row or the dialog that asked
    error: BaseException | None = None
    sent: bool = True  # False when hvgui refused to send it (e.g. a graceful shutdown that cannot work)

    @property
    def message(self) -> str:
        return f"{self.action.description} failed: {self.reason}"


class VmActionsController(QObject):
    """Submits VM commands to their hosts' operation runners; reports through signals only."""

    #: A command started (`VmAction`).
    pending = Signal(object)
    #: A command succeeded (`ActionResult`), after the host's refresh.
    finished = Signal(object)
    #: A command failed or was not sent (`ActionFailure`), after the host's refresh.
    failed = Signal(object)
    #: Any operation on any host changed (`OperationRecord`): queued, running, progress, still running, final.
    operation_changed = Signal(object)
    #: A command was sent to a host that is stale or failing: what to tell the person before it waits.
    notice = Signal(str)

    def __init__(self, hosts: HostsController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hosts = hosts
        self._tasks: dict[asyncio.Task[Any], VmAction] = {}
        self._records: dict[int, OperationRecord] = {}
        self._closed = False
        hosts.manager.subscribe_operations(self._on_record)
        hosts.add_close_hook(self.aclose)

    @property
    def hosts(self) -> HostsController:
        """The hosts this controller runs commands on (for tabs with a controller of their own, e.g. KVP)."""
        return self._hosts

    # ---- intents -------------------------------------------------------------------------------

    def set_service(self, vm: Vm, ic_guid: str, enable: bool) -> VmAction:
        """Enable or disable one integration service, identified by its IC GUID (never by its name)."""
        change = planned_change(vm, ic_guid, enable)
        operation = ServiceToggleOperation(
            self._target(vm), ic_guid=change.ic_guid, enable=enable, service_name=change.service_name
        )
        return self._submit(ActionKind.SetService, vm, change.description, operation)

    def power(self, vms: Sequence[Vm], power_action: PowerAction) -> list[VmAction]:
        """One power command per VM, all at once (each host runs them on its work lane, up to its limit).
        A stale host is announced once for all of its VMs."""
        warnings: dict[str, str | None] = {}
        actions = []
        for vm in vms:
            if vm.host not in warnings:
                warnings[vm.host] = self._warn(vm.host)
            actions.append(self._power_one(vm, power_action, warnings[vm.host]))
        return actions

    def create_checkpoint(self, vm: Vm, name: str | None = None) -> VmAction:
        operation = CheckpointCreateOperation(self._target(vm), name=(name or "").strip() or None)
        return self._submit(ActionKind.CreateCheckpoint, vm, operation.title, operation)

    def list_checkpoints(self, vm: Vm) -> VmAction:
        """A read on the host's refresh lane (it changes nothing, so it is no operation)."""
        action = VmAction(
            ActionKind.ListCheckpoints,
            vm.key,
            vm.name,
            f"List the checkpoints of '{vm.name}'",
            powershell=psdisplay.list_checkpoints_of(self._target(vm).computer_name, vm.vm_id),
        )
        self._warn(vm.host)
        self._start(action, self._list(action, vm))
        return action

    def apply_checkpoint(self, vm: Vm, checkpoint: Checkpoint) -> VmAction:
        """Apply (restore) a checkpoint; the window has asked first (`CheckpointApplyOperation.confirmation`)."""
        operation = CheckpointApplyOperation(
            self._target(vm), checkpoint_id=checkpoint.checkpoint_id, checkpoint_name=checkpoint.name
        )
        return self._submit(ActionKind.ApplyCheckpoint, vm, operation.title, operation)

    def delete_checkpoint(self, vm: Vm, checkpoint: Checkpoint, *, descendants: Sequence[Checkpoint] = ()) -> VmAction:
        """Delete a checkpoint, or with `descendants` (all of them) its whole subtree; asked first."""
        operation = CheckpointDeleteOperation(
            self._target(vm),
            checkpoint_id=checkpoint.checkpoint_id,
            checkpoint_name=checkpoint.name,
            subtree=bool(descendants),
            descendant_names=tuple(c.name for c in descendants),
        )
        return self._submit(ActionKind.DeleteCheckpoint, vm, operation.title, operation)

    def rename_checkpoint(self, vm: Vm, checkpoint: Checkpoint, new_name: str) -> VmAction:
        operation = CheckpointRenameOperation(
            self._target(vm), checkpoint_id=checkpoint.checkpoint_id, checkpoint_name=checkpoint.name, new_name=new_name
        )
        return self._submit(ActionKind.RenameCheckpoint, vm, operation.title, operation)

    def set_checkpoint_type(self, vm: Vm, checkpoint_type: CheckpointType) -> VmAction:
        operation = CheckpointTypeOperation(self._target(vm), checkpoint_type=checkpoint_type)
        description = f"Set the checkpoint type of '{vm.name}' to {checkpoint_type.name}"
        return self._submit(ActionKind.SetCheckpointType, vm, description, operation)

    def copy_to_vm(
        self,
        vm: Vm,
        sources: Sequence[str],
        guest_folder: str,
        create_folders: bool = True,
        existing: ExistingFile = ExistingFile.Ask,
        *,
        ask_existing: AskExisting | None = None,
    ) -> VmAction:
        """Copy files and folders of this computer into the guest of `vm` (the host's runner streams them).
        With `existing` Ask, `ask_existing` is asked about each file that exists in the guest (without it,
        such files are left and reported)."""
        operation = CopyToGuestOperation(
            self._target(vm),
            sources=tuple(sources),
            guest_folder=guest_folder,
            create_folders=create_folders,
            existing=existing,
        )
        return self._submit(ActionKind.CopyToGuest, vm, operation.title, operation, ask_existing=ask_existing)

    def copy_from_vm(
        self,
        vm: Vm,
        guest_paths: Sequence[str],
        local_folder: str,
        user: str,
        password: str,
        existing: ExistingFile = ExistingFile.Ask,
    ) -> VmAction:
        """Copy files or folders of a Windows guest to this computer through PowerShell Direct on the host.

        The password goes only into the host session's in-memory guest credentials (for this VM), never into
        the operation, its record or a message: operations are shown, listed and logged. When the host has no
        session, the copy fails in the usual way ("not connected") and the password is dropped here.
        """
        operation = CopyFromGuestOperation(
            self._target(vm),
            guest_paths=tuple(guest_paths),
            local_folder=local_folder,
            guest_user=user,
            existing=existing,
        )
        try:
            session = self._hosts.session(vm.host)
        except KeyError:
            pass
        else:
            session.guest_credentials.set(vm.vm_id, user, password)
        return self._submit(ActionKind.CopyFromGuest, vm, operation.title, operation)

    def guest_browser(self, vm: Vm, parent: QObject | None = None) -> GuestBrowseController:
        """A controller that lists the files of `vm`'s guest (for "Browse…" in the copy dialogs)."""
        return GuestBrowseController(self._hosts, vm, parent)

    def cancel_operation(self, op_id: int) -> bool:
        """Cancel a queued operation, or stop waiting for a running one (its host job goes on). False if final."""
        record = self._records.get(op_id)
        if record is None or record.state.is_final:
            return False
        try:
            session = self._hosts.session(record.operation.target.host)
        except KeyError:
            return False
        return session.operations.cancel(op_id)

    def retry_operation(self, op_id: int) -> bool:
        """Run a failed or cancelled copy again on its host; after a dropped connection it goes on from what
        stayed staged. False when it cannot be retried (not a copy, not final, or its host is gone)."""
        record = self._records.get(op_id)
        if record is None:
            return False
        try:
            session = self._hosts.session(record.operation.target.host)
        except KeyError:
            return False
        try:
            return session.operations.retry(op_id) is not None
        except HvGuiError:  # the session is closing
            return False

    def discard_staged(self, op_id: int) -> bool:
        """Remove what a failed copy kept staged on its host for a retry (the admin dismissed it; best effort).
        Closing the session removes whatever is still kept."""
        record = self._records.get(op_id)
        if record is None:
            return False
        try:
            session = self._hosts.session(record.operation.target.host)
        except KeyError:
            return False
        return session.operations.discard_staged(op_id) is not None

    # ---- queries -------------------------------------------------------------------------------

    def running(self) -> list[VmAction]:
        """The commands under way, oldest first."""
        return list(self._tasks.values())

    def is_running(self, vm_key: VmKey, kind: ActionKind) -> bool:
        return any(a.vm_key == vm_key and a.kind is kind for a in self._tasks.values())

    def records(self) -> list[OperationRecord]:
        """Every operation the window knows of, on every host, oldest first (latest snapshots)."""
        return sorted(self._records.values(), key=lambda r: r.op_id)

    # ---- running -------------------------------------------------------------------------------

    def _target(self, vm: Vm) -> VmTarget:
        """The VM with the host name an admin's shell reaches it by (the session's own, when connected)."""
        try:
            computer_name = self._hosts.settings(vm.host).host
        except KeyError:
            computer_name = vm.host
        return VmTarget.of(vm, computer_name)

    def _warn(self, host: str) -> str | None:
        """Tell the person now when `host` is stale or failing (a command on it may wait); returns the text."""
        warning = self._hosts.staleness_warning(host)
        if warning:
            self._emit(self.notice, warning)
        return warning

    def _power_one(self, vm: Vm, power_action: PowerAction, warning: str | None) -> VmAction:
        operation = PowerOperation(self._target(vm), action=power_action, from_state=vm.state)
        description = f"{power_action.label} '{vm.name}'"
        refused = shutdown_blocker(vm) if power_action is PowerAction.ShutDown else None
        # Stop-VM would fail on the host's non-interactive prompt: never send it.
        return self._submit(ActionKind.Power, vm, description, operation, refused=refused, warning=warning or "")

    def _submit(
        self,
        kind: ActionKind,
        vm: Vm,
        description: str,
        operation: Operation,
        *,
        refused: str | None = None,
        warning: str | None = None,
        ask_existing: AskExisting | None = None,
    ) -> VmAction:
        """Start one operation. `warning`: the host's staleness warning, already told (None: look it up now)."""
        action = VmAction(kind, vm.key, vm.name, description, operation.powershell(), operation)
        if warning is None and refused is None:
            warning = self._warn(vm.host)
        self._start(action, self._run(action, operation, refused, warning or "", ask_existing))
        return action

    def _start(self, action: VmAction, coro: Coroutine[Any, Any, None]) -> None:
        if self._closed:
            coro.close()
            raise RuntimeError("the controller is closed")
        self._spawn(coro, action)
        self._emit(self.pending, action)  # at once (the task runs later), so "pending" shows before the next paint

    async def _run(
        self,
        action: VmAction,
        operation: Operation,
        refused: str | None,
        warning: str,
        ask_existing: AskExisting | None = None,
    ) -> None:
        if refused is not None:
            self._conclude(self.failed, ActionFailure(action, refused, sent=False))
            return
        try:
            session = self._hosts.session(action.vm_key.host)
        except KeyError:
            self._conclude(self.failed, ActionFailure(action, "the host is no longer connected.", sent=False))
            return
        try:
            options = {} if ask_existing is None else {"ask_existing": ask_existing}
            handle = session.operations.submit(operation, notice=warning, **options)
        except HvGuiError as exc:  # the session is closing
            self._conclude(self.failed, ActionFailure(action, str(exc), exc, sent=False))
            return
        record = await handle.done()
        if record.state is OperationState.Succeeded and isinstance(
            operation, (CopyToGuestOperation, CopyFromGuestOperation)
        ):
            self._conclude(self.finished, _copy_result(action, operation, record))
        elif record.state is OperationState.Succeeded:
            value: Any = record.warnings
            if isinstance(operation, CheckpointCreateOperation):
                value = record.result
                if not isinstance(value, CheckpointOutcome):  # the host showed it done without answering
                    value = CheckpointOutcome(checkpoint=None, warnings=record.warnings)
            self._conclude(self.finished, _result(action, value))
        else:
            sent = record.started_at is not None
            self._conclude(self.failed, ActionFailure(action, record.message, record.error, sent=sent))

    async def _list(self, action: VmAction, vm: Vm) -> None:
        try:
            session = self._hosts.session(action.vm_key.host)
        except KeyError:
            self._conclude(self.failed, ActionFailure(action, "the host is no longer connected.", sent=False))
            return
        try:
            checkpoints = await session.api.list_checkpoints(vm.vm_id)
        except HvGuiError as exc:
            self._conclude(self.failed, ActionFailure(action, str(exc), exc))
            return
        except Exception as exc:  # a defect: say so on the row instead of losing it in a log
            log.exception("%s failed unexpectedly", action.description)
            self._conclude(self.failed, ActionFailure(action, f"unexpected error: {exc!r}", exc))
            return
        self._conclude(self.finished, ActionResult(action, "", checkpoints=tuple(checkpoints)))

    def _on_record(self, record: OperationRecord) -> None:
        self._records[record.op_id] = record
        if len(self._records) > RECORD_HISTORY:
            final = [op_id for op_id, r in self._records.items() if r.state.is_final]
            for op_id in sorted(final)[: len(self._records) - RECORD_HISTORY]:
                del self._records[op_id]
        self._emit(self.operation_changed, record)

    def _conclude(self, signal: Any, value: object) -> None:
        """Emit an outcome once the command no longer counts as running (listeners re-enable its buttons)."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.pop(task, None)
        self._emit(signal, value)

    def _emit(self, signal: Any, value: object) -> None:
        if not self._closed:
            signal.emit(value)

    def _spawn(self, coro: Coroutine[Any, Any, Any], action: VmAction) -> None:
        task = asyncio.get_event_loop().create_task(coro, name=action.description)
        self._tasks[task] = action
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        action = self._tasks.pop(task, None)
        if task.cancelled() or action is None:
            return
        exc = task.exception()
        if exc is not None:  # _run handles every error; this is a defect in the handling itself
            log.error("task %s failed", task.get_name(), exc_info=exc)
            self._emit(self.failed, ActionFailure(action, f"unexpected error: {exc!r}", exc))

    async def aclose(self) -> None:
        """Stop waiting for the commands (the sessions' runners, closed next, deal with the operations)."""
        if self._closed:
            return
        self._closed = True
        self._hosts.manager.unsubscribe_operations(self._on_record)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _copy_result(
    action: VmAction, operation: CopyToGuestOperation | CopyFromGuestOperation, record: OperationRecord
) -> ActionResult:
    """What a copy did, from its report ("3 files copied, 1 skipped ..."); its notes (files that exist where
    they land) are hvgui's own, not warnings of the host."""
    summary = getattr(record.result, "summary", None)
    done = summary() if callable(summary) else "done."
    if isinstance(operation, CopyFromGuestOperation):
        text = f"Copy from '{action.vm_name}' to {operation.local_folder}: {done}"
    else:
        text = f"Copy to '{action.vm_name}' ({operation.guest_folder}): {done}"
    if record.warnings:
        text += " " + " ".join(record.warnings)
    return ActionResult(action, text, record.warnings)


def _result(action: VmAction, value: Any) -> ActionResult:
    if action.kind is ActionKind.ListCheckpoints:
        # A Listing says when objects the host sent could not be read: the tab shows it as the message.
        return ActionResult(action, value.incomplete_text(), checkpoints=tuple(value))
    if action.kind is ActionKind.CreateCheckpoint:
        outcome: CheckpointOutcome = value
        return ActionResult(action, checkpoint_message(action, outcome), tuple(outcome.warnings), outcome=outcome)
    warnings = tuple(value or ())
    operation = action.operation
    if isinstance(operation, ServiceToggleOperation):
        done = f"{'Enabled' if operation.enable else 'Disabled'} {operation.service_name} on '{action.vm_name}'."
    elif isinstance(operation, PowerOperation):
        done = done_text(operation.action, action.vm_name, operation.from_state)
    elif isinstance(operation, CheckpointTypeOperation):
        done = f"The checkpoint type of '{action.vm_name}' is now {operation.checkpoint_type.name}."
    elif isinstance(operation, CheckpointApplyOperation):
        done = f"Applied checkpoint '{operation.checkpoint_name}' to '{action.vm_name}'."
    elif isinstance(operation, CheckpointDeleteOperation):
        below = len(operation.descendant_names)
        extra = f" and the {below} below it" if operation.subtree and below else ""
        done = f"Deleted checkpoint '{operation.checkpoint_name}'{extra} of '{action.vm_name}'."
    elif isinstance(operation, CheckpointRenameOperation):
        done = f"Renamed checkpoint '{operation.checkpoint_name}' of '{action.vm_name}' to '{operation.new_name}'."
    else:
        done = f"{action.description}: done."
    if warnings:
        done += " The host warned: " + " ".join(warnings)
    return ActionResult(action, done, warnings)


def checkpoint_message(action: VmAction, outcome: CheckpointOutcome) -> str:
    """What creating the checkpoint produced, in a sentence; its kind is not claimed (the host does not say)."""
    requested = action.operation.name if isinstance(action.operation, CheckpointCreateOperation) else None
    name = outcome.checkpoint.name if outcome.checkpoint is not None else requested
    shown = f" '{name}'" if name else ""
    text = f"Created checkpoint{shown} of '{action.vm_name}'."
    if outcome.warnings:
        text += " The host warned: " + " ".join(outcome.warnings)
    return text
