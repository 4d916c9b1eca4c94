"""Commands on VMs: integration-service toggles, power actions and checkpoints, run off the widgets' hands.

Widgets call an intent (`set_service`, `power`, `create_checkpoint`, ...) and listen to three signals:
`pending(VmAction)` when the command starts, `finished(ActionResult)` when the host carried it out (with its
warnings) and `failed(ActionFailure)` when it did not (with the host's reason). Every command that changes
something is followed by a refresh of its host, and the outcome is emitted only after that refresh: by the time
a row that showed "pending" hears the outcome, the window already holds what the host really reports. The
controller never guesses a state; commands are bounded by the connection's operation timeout, so nothing waits
forever.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from hvgui.domain import psdisplay
from hvgui.domain.bulk import planned_change
from hvgui.domain.checkpoints import Checkpoint, CheckpointOutcome
from hvgui.domain.connection import HostState
from hvgui.domain.errors import HvGuiError
from hvgui.domain.power import PowerAction, shutdown_blocker
from hvgui.domain.vm import CheckpointType, Vm, VmKey

if TYPE_CHECKING:
    from hvgui.remoting import HostApi, HostSession
    from hvgui.ui.controllers.hosts_controller import HostsController

log = logging.getLogger(__name__)


class ActionKind(enum.Enum):
    SetService = "set-service"
    Power = "power"
    CreateCheckpoint = "create-checkpoint"
    ListCheckpoints = "list-checkpoints"
    SetCheckpointType = "set-checkpoint-type"


@dataclass(frozen=True)
class VmAction:
    """One command on one VM, as the window asked for it."""

    kind: ActionKind
    vm_key: VmKey
    vm_name: str
    description: str  # "Disable Shutdown on 'devbox-01'", for messages
    powershell: str = ""  # the equivalent command for "Copy as PowerShell" (display text only)
    ic_guid: str | None = None
    service_name: str = ""  # as the host reports it (localized on a localized host)
    enable: bool | None = None
    power_action: PowerAction | None = None
    checkpoint_name: str | None = None
    checkpoint_type: CheckpointType | None = None

    @property
    def changes_host(self) -> bool:
        return self.kind is not ActionKind.ListCheckpoints


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
    """The host refused the command, did not answer in time, or the command was never sent (and why)."""

    action: VmAction
    reason: str  # the host's reason with hvgui's advice, for the row or the dialog that asked
    error: BaseException | None = None
    sent: bool = True  # False when hvgui refused to send it (e.g. a graceful shutdown that cannot work)

    @property
    def message(self) -> str:
        return f"{self.action.description} failed: {self.reason}"


_POWER_PAST = {
    PowerAction.Start: "Started",
    PowerAction.ShutDown: "Shut down",
    PowerAction.TurnOff: "Turned off",
    PowerAction.Save: "Saved",
    PowerAction.Restart: "Restarted",
}


class VmActionsController(QObject):
    """Runs VM commands as tasks it owns; reports through signals only."""

    #: A command started (`VmAction`).
    pending = Signal(object)
    #: A command succeeded (`ActionResult`), after the host's refresh.
    finished = Signal(object)
    #: A command failed or was not sent (`ActionFailure`), after the host's refresh.
    failed = Signal(object)

    def __init__(self, hosts: HostsController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hosts = hosts
        self._tasks: dict[asyncio.Task[Any], VmAction] = {}
        self._closed = False
        hosts.add_close_hook(self.aclose)

    # ---- intents -------------------------------------------------------------------------------

    def set_service(self, vm: Vm, ic_guid: str, enable: bool) -> VmAction:
        """Enable or disable one integration service, identified by its IC GUID (never by its name)."""
        change = planned_change(vm, ic_guid, enable)
        action = VmAction(
            ActionKind.SetService,
            vm.key,
            vm.name,
            change.description,
            powershell=change.powershell,
            ic_guid=change.ic_guid,
            service_name=change.service_name,
            enable=enable,
        )
        self._start(action, lambda api: api.set_integration_service(vm.vm_id, change.ic_guid, enable))
        return action

    def power(self, vms: Sequence[Vm], power_action: PowerAction) -> list[VmAction]:
        """One power command per VM, all at once (each host runs its own in parallel)."""
        return [self._power_one(vm, power_action) for vm in vms]

    def create_checkpoint(self, vm: Vm, name: str | None = None) -> VmAction:
        name = (name or "").strip() or None
        shown = f" '{name}'" if name else ""
        action = VmAction(
            ActionKind.CreateCheckpoint,
            vm.key,
            vm.name,
            f"Create checkpoint{shown} of '{vm.name}'",
            powershell=psdisplay.checkpoint_command(vm.name, name),
            checkpoint_name=name,
        )
        self._start(action, lambda api: api.checkpoint(vm.vm_id, name))
        return action

    def list_checkpoints(self, vm: Vm) -> VmAction:
        action = VmAction(
            ActionKind.ListCheckpoints,
            vm.key,
            vm.name,
            f"List the checkpoints of '{vm.name}'",
            powershell=psdisplay.list_checkpoints_command(vm.name),
        )
        self._start(action, lambda api: api.list_checkpoints(vm.vm_id))
        return action

    def set_checkpoint_type(self, vm: Vm, checkpoint_type: CheckpointType) -> VmAction:
        action = VmAction(
            ActionKind.SetCheckpointType,
            vm.key,
            vm.name,
            f"Set the checkpoint type of '{vm.name}' to {checkpoint_type.name}",
            powershell=psdisplay.set_checkpoint_type_command(vm.name, checkpoint_type),
            checkpoint_type=checkpoint_type,
        )
        self._start(action, lambda api: api.set_checkpoint_type(vm.vm_id, checkpoint_type))
        return action

    # ---- queries -------------------------------------------------------------------------------

    def running(self) -> list[VmAction]:
        """The commands under way, oldest first."""
        return list(self._tasks.values())

    def is_running(self, vm_key: VmKey, kind: ActionKind) -> bool:
        return any(a.vm_key == vm_key and a.kind is kind for a in self._tasks.values())

    # ---- running -------------------------------------------------------------------------------

    def _power_one(self, vm: Vm, power_action: PowerAction) -> VmAction:
        action = VmAction(
            ActionKind.Power,
            vm.key,
            vm.name,
            f"{power_action.label} '{vm.name}'",
            powershell=psdisplay.power_command(vm.name, power_action),
            power_action=power_action,
        )
        if power_action is PowerAction.ShutDown:
            blocker = shutdown_blocker(vm)
            if blocker is not None:
                # Stop-VM would fail on the host's non-interactive prompt: never send it.
                self._start(action, None, refused=blocker)
                return action
        self._start(action, lambda api: api.power(vm.vm_id, power_action))
        return action

    def _start(
        self,
        action: VmAction,
        call: Callable[[HostApi], Awaitable[Any]] | None,
        *,
        refused: str | None = None,
    ) -> None:
        if self._closed:
            raise RuntimeError("the controller is closed")
        self._spawn(self._run(action, call, refused), action)
        self._emit(self.pending, action)  # at once (the task runs later), so "pending" shows before the next paint

    async def _run(self, action: VmAction, call: Callable[[HostApi], Awaitable[Any]] | None, refused: str | None):
        if call is None:
            self._conclude(self.failed, ActionFailure(action, refused or "not sent", sent=False))
            return
        try:
            session = self._hosts.session(action.vm_key.host)
        except KeyError:
            reason = "the host is no longer connected."
            self._conclude(self.failed, ActionFailure(action, reason, sent=False))
            return
        try:
            value = await call(session.api)
        except HvGuiError as exc:
            if action.changes_host:
                await self._refresh(session)
            self._conclude(self.failed, ActionFailure(action, str(exc), exc))
            return
        except Exception as exc:  # a defect: say so on the row instead of losing it in a log
            log.exception("%s failed unexpectedly", action.description)
            if action.changes_host:
                await self._refresh(session)
            self._conclude(self.failed, ActionFailure(action, f"unexpected error: {exc!r}", exc))
            return
        if action.changes_host:
            await self._refresh(session)
        self._conclude(self.finished, _result(action, value))

    @staticmethod
    async def _refresh(session: HostSession) -> None:
        """Fetch the host's truth now; a host that is failing gets its refresh through its own loop instead."""
        if session.status.state is HostState.Connected:
            try:
                await session.fetch_inventory()
                return
            except HvGuiError as exc:
                log.info("refresh after a command on %s failed: %s", session.key, exc)
            except Exception:  # the command's outcome still counts; the session's own loop reports the rest
                log.exception("refresh after a command on %s failed unexpectedly", session.key)
        session.refresh_now()

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
        """Cancel every command task (the host may still finish a command it already received)."""
        if self._closed:
            return
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _result(action: VmAction, value: Any) -> ActionResult:
    if action.kind is ActionKind.ListCheckpoints:
        # A Listing says when objects the host sent could not be read: the tab shows it as the message.
        return ActionResult(action, value.incomplete_text(), checkpoints=tuple(value))
    if action.kind is ActionKind.CreateCheckpoint:
        outcome: CheckpointOutcome = value
        return ActionResult(action, checkpoint_message(action, outcome), tuple(outcome.warnings), outcome=outcome)
    warnings = tuple(value or ())
    if action.kind is ActionKind.SetService:
        done = f"{'Enabled' if action.enable else 'Disabled'} {action.service_name} on '{action.vm_name}'."
    elif action.kind is ActionKind.Power and action.power_action is not None:
        done = f"{_POWER_PAST[action.power_action]} '{action.vm_name}'."
    elif action.kind is ActionKind.SetCheckpointType and action.checkpoint_type is not None:
        done = f"The checkpoint type of '{action.vm_name}' is now {action.checkpoint_type.name}."
    else:
        done = f"{action.description}: done."
    if warnings:
        done += " The host warned: " + " ".join(warnings)
    return ActionResult(action, done, warnings)


def checkpoint_message(action: VmAction, outcome: CheckpointOutcome) -> str:
    """What creating the checkpoint produced, in a sentence; its kind is not claimed (the host does not say)."""
    name = outcome.checkpoint.name if outcome.checkpoint is not None else action.checkpoint_name
    shown = f" '{name}'" if name else ""
    text = f"Created checkpoint{shown} of '{action.vm_name}'."
    if outcome.warnings:
        text += " The host warned: " + " ".join(outcome.warnings)
    return text
