"""Start, Shut Down, Turn Off, Save and Restart for the selected VMs: menu, toolbar, context menu, keyboard.

Each command is offered only when the host would accept it for at least one selected VM
(`hvgui.domain.power.action_available`); VMs it does not apply to are named with the reason and left alone.
Turn Off and Restart ask first (data may be lost). Shut Down asks too, as Hyper-V Manager does: one question
naming every VM, with "Don't ask again" (a stored preference; "Ask Before Shut Down" turns the question back
on). Every question is the domain's (`hvgui.domain.power.confirm_text`, which `PowerOperation.confirmation`
also returns); the window only decides whether to ask. A graceful shutdown is checked before it is sent
(`shutdown_blocker`): a VM whose Shutdown service cannot work is never sent a `Stop-VM` that would fail on
the host's non-interactive prompt; hvgui explains why and offers Turn Off instead.

"Copy as PowerShell" copies the typed operations' own text: the host by `-ComputerName`, the VM by its Id,
the commands grouped per host.

Shortcuts follow Hyper-V's Virtual Machine Connection (Ctrl+S start, Ctrl+D shut down, Ctrl+T turn off,
Ctrl+R reset, Ctrl+P pause), except Save: Ctrl+A there, Ctrl+Shift+S here, because Ctrl+A selects every VM in
the table. Resume is Ctrl+Shift+P (Start resumes a paused VM too, and says so).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from hvgui.domain.operations import PowerOperation, powershell_script
from hvgui.domain.power import PowerAction, action_available, confirm_text, shutdown_blocker, unavailable_reason
from hvgui.domain.vm import Vm
from hvgui.ui.confirm import Confirmer, Question
from hvgui.ui.controllers.vm_actions import ActionFailure, ActionKind, ActionResult, VmAction, VmActionsController
from hvgui.ui.host_names import ComputerName, vm_target
from hvgui.ui.preferences import Preferences
from hvgui.ui.resources import icon
from hvgui.ui.text import one_line

#: Object name of the confirmation before Turn Off / Restart.
CONFIRM_POWER = "confirmPowerAction"
#: Object name of the confirmation before Shut Down (it offers "Don't ask again").
CONFIRM_SHUTDOWN = "confirmShutDown"
#: Object name of the checkable "Ask Before Shut Down" action that turns the question back on.
ASK_BEFORE_SHUTDOWN = "askBeforeShutDown"
#: Object name of the question when a graceful shutdown cannot work (it offers Turn Off).
SHUTDOWN_BLOCKED = "shutdownBlocked"

SHORTCUTS: dict[PowerAction, str] = {
    PowerAction.Start: "Ctrl+S",
    PowerAction.ShutDown: "Ctrl+D",
    PowerAction.TurnOff: "Ctrl+T",
    PowerAction.Save: "Ctrl+Shift+S",
    PowerAction.Restart: "Ctrl+R",
    PowerAction.Pause: "Ctrl+P",
    PowerAction.Resume: "Ctrl+Shift+P",
}

_MENU_TEXT: dict[PowerAction, str] = {
    PowerAction.Start: "&Start",
    PowerAction.ShutDown: "Shut &Down\u2026",
    PowerAction.TurnOff: "&Turn Off\u2026",
    PowerAction.Save: "Sa&ve",
    PowerAction.Restart: "&Restart\u2026",
    PowerAction.Pause: "&Pause",
    PowerAction.Resume: "Res&ume",
}

_ICONS: dict[PowerAction, str] = {
    PowerAction.Start: "start",
    PowerAction.ShutDown: "shutdown",
    PowerAction.TurnOff: "turnoff",
    PowerAction.Save: "save",
    PowerAction.Restart: "restart",
    PowerAction.Pause: "pause",
    PowerAction.Resume: "resume",
}

_PROGRESS: dict[PowerAction, str] = {
    PowerAction.Start: "Starting",
    PowerAction.ShutDown: "Shutting down",
    PowerAction.TurnOff: "Turning off",
    PowerAction.Save: "Saving",
    PowerAction.Restart: "Restarting",
    PowerAction.Pause: "Pausing",
    PowerAction.Resume: "Resuming",
}


def question(power_action: PowerAction, vms: Sequence[Vm]) -> str | None:
    """The domain's question before `power_action` on these VMs, each name shown on one line."""
    return confirm_text(power_action, [one_line(vm.name) for vm in vms])


@dataclass
class _Batch:
    """The commands of one trigger, so their outcomes are reported together once all have arrived."""

    waiting: set[int]
    skipped: list[str]
    messages: list[str] = field(default_factory=list)


class PowerActions(QObject):
    """The power commands as `QAction`s acting on whatever VMs `selection()` returns."""

    def __init__(
        self,
        actions: VmActionsController,
        confirmer: Confirmer,
        selection: Callable[[], Sequence[Vm]],
        report: Callable[[str], None],
        parent: QWidget,
        *,
        preferences: Preferences | None = None,
        computer_name: ComputerName | None = None,
    ) -> None:
        super().__init__(parent)
        self._actions = actions
        self._confirmer = confirmer
        self._preferences = preferences if preferences is not None else Preferences()
        self._computer_name = computer_name
        self._selection = selection
        self._report = report
        self._parent = parent
        self._batches: list[_Batch] = []
        #: Every outcome message, newest last (what the status bar showed).
        self.messages: list[str] = []
        self.qactions: dict[PowerAction, QAction] = {}
        for power_action in PowerAction:
            qaction = QAction(icon(_ICONS[power_action]), _MENU_TEXT[power_action], self)
            qaction.setShortcut(QKeySequence(SHORTCUTS[power_action]))
            qaction.setIconText(power_action.label)
            qaction.setStatusTip(power_action.description)
            qaction.setObjectName(f"power{power_action.value}")
            qaction.triggered.connect(lambda _checked=False, a=power_action: self.trigger(a))
            self.qactions[power_action] = qaction
        #: Turns the Shut Down question on and off (checked: Shut Down asks first).
        self.ask_before_shutdown = QAction("&Ask Before Shut Down", self)
        self.ask_before_shutdown.setObjectName(ASK_BEFORE_SHUTDOWN)
        self.ask_before_shutdown.setCheckable(True)
        self.ask_before_shutdown.setChecked(self._preferences.confirm_shutdown)
        self.ask_before_shutdown.setStatusTip("Ask before Shut Down, naming the VMs (Hyper-V Manager does too)")
        self.ask_before_shutdown.toggled.connect(self._set_confirm_shutdown)
        actions.pending.connect(self._on_pending)
        actions.finished.connect(self._on_finished)
        actions.failed.connect(self._on_failed)
        self.update_enabled()

    # ---- availability --------------------------------------------------------------------------

    def update_enabled(self) -> None:
        """Enable each command that applies to at least one selected VM; say why in the tooltip if none."""
        vms = list(self._selection())
        for power_action, qaction in self.qactions.items():
            usable = [vm for vm in vms if action_available(vm, power_action)]
            qaction.setEnabled(bool(usable))
            shortcut = SHORTCUTS[power_action]
            if not vms:
                tip = f"{power_action.label} ({shortcut}): select one or more VMs first."
            elif usable:
                tip = f"{power_action.label} ({shortcut}): {power_action.description}"
            else:
                tip = f"{power_action.label} ({shortcut}): {unavailable_reason(vms[0], power_action)}"
            qaction.setToolTip(tip)

    def populate_menu(self, menu: QMenu) -> None:
        """The power commands, then "Copy as PowerShell" for each (used by the VM table's context menu)."""
        for qaction in self.qactions.values():
            menu.addAction(qaction)
        menu.addSeparator()
        copy = menu.addMenu("Copy as PowerShell")
        copy.setObjectName("copyPowerShellMenu")
        for power_action in PowerAction:
            copy.addAction(power_action.label, lambda a=power_action: self.copy_powershell(a))

    # ---- intents -------------------------------------------------------------------------------

    def trigger(self, power_action: PowerAction, vms: Sequence[Vm] | None = None) -> None:
        """Carry out a power command on the VMs (the selection by default), asking first where needed."""
        chosen = list(self._selection() if vms is None else vms)
        eligible = [vm for vm in chosen if action_available(vm, power_action)]
        skipped = [reason for vm in chosen if (reason := unavailable_reason(vm, power_action)) is not None]
        if not eligible:
            if skipped:
                self._say(f"{power_action.label}: " + " ".join(skipped))
            return
        if power_action is PowerAction.ShutDown:
            self._shut_down(eligible, skipped)
        elif power_action.is_hard:
            self._confirmer.ask(
                self._parent,
                Question(
                    object_name=CONFIRM_POWER,
                    title=power_action.label,
                    text=question(power_action, eligible) or "",
                    accept_label=power_action.label,
                ),
                on_accept=lambda: self._send(eligible, power_action, skipped),
            )
        else:
            self._send(eligible, power_action, skipped)

    def _shut_down(self, vms: list[Vm], skipped: list[str]) -> None:
        """Ask once for every VM that can shut down (unless the admin said not to), then send."""
        clean = [vm for vm in vms if shutdown_blocker(vm) is None]
        if not clean or not self._preferences.confirm_shutdown:
            self._shut_down_now(vms, skipped)
            return
        blocked = len(vms) - len(clean)
        details = (
            f"{blocked} of the selected VMs cannot shut down cleanly; hvgui asks about them next." if blocked else ""
        )
        self._confirmer.ask(
            self._parent,
            Question(
                object_name=CONFIRM_SHUTDOWN,
                title="Shut Down",
                text=question(PowerAction.ShutDown, clean) or "",
                accept_label="Shut Down",
                details=details,
                remember_label="Don't ask again",
                remember=self._remember_shutdown_answer,
            ),
            on_accept=lambda: self._shut_down_now(vms, skipped),
        )

    def _remember_shutdown_answer(self, dont_ask_again: bool) -> None:
        if dont_ask_again:
            self._set_confirm_shutdown(False)

    def _set_confirm_shutdown(self, ask: bool) -> None:
        if self._preferences.confirm_shutdown != ask:
            self._preferences.confirm_shutdown = ask
        if self.ask_before_shutdown.isChecked() != ask:
            self.ask_before_shutdown.setChecked(ask)

    def _shut_down_now(self, vms: list[Vm], skipped: list[str]) -> None:
        blocked = [(vm, reason) for vm in vms if (reason := shutdown_blocker(vm)) is not None]
        clean = [vm for vm in vms if shutdown_blocker(vm) is None]
        if clean:
            self._send(clean, PowerAction.ShutDown, skipped)
            skipped = []
        if not blocked:
            return
        names = [one_line(vm.name) for vm, _ in blocked]
        subject = f"'{names[0]}' cannot" if len(names) == 1 else f"{len(names)} VMs cannot"
        reasons = "\n".join(f"\u2022 {reason}" for _, reason in blocked)
        turn_off_question = question(PowerAction.TurnOff, [vm for vm, _ in blocked])
        text = f"{subject} be shut down cleanly:\n\n{reasons}\n\n{turn_off_question}"
        turn_off = [vm for vm, _ in blocked if action_available(vm, PowerAction.TurnOff)]
        left_alone = skipped + [f"'{vm.name}' was not shut down: {reason}" for vm, reason in blocked]
        self._confirmer.ask(
            self._parent,
            Question(
                object_name=SHUTDOWN_BLOCKED,
                title="Shut Down is not possible",
                text=text,
                accept_label="Turn Off",
            ),
            on_accept=lambda: self._send(turn_off, PowerAction.TurnOff, skipped),
            on_reject=lambda: self._say(" ".join(left_alone)),
        )

    def _send(self, vms: list[Vm], power_action: PowerAction, skipped: list[str]) -> None:
        if not vms:
            return
        sent = self._actions.power(vms, power_action)
        self._batches.append(_Batch(waiting={id(a) for a in sent}, skipped=list(skipped)))
        names = ", ".join(f"'{vm.name}'" for vm in vms)
        self._report(f"{_PROGRESS[power_action]} {names}\u2026")

    def copy_powershell(self, power_action: PowerAction, vms: Sequence[Vm] | None = None) -> str | None:
        """The commands for the selected VMs the action applies to on the clipboard, grouped per host."""
        chosen = list(self._selection() if vms is None else vms)
        eligible = [vm for vm in chosen if action_available(vm, power_action)]
        if not eligible:
            reasons = [reason for vm in chosen if (reason := unavailable_reason(vm, power_action)) is not None]
            if reasons:
                self._say(f"Nothing to copy for {power_action.label}: " + " ".join(reasons))
            return None
        text = powershell_script(PowerOperation(vm_target(vm, self._computer_name), power_action) for vm in eligible)
        QGuiApplication.clipboard().setText(text)
        self._say(f"Copied to the clipboard: {text.replace(chr(10), '; ')}")
        return text

    # ---- outcomes ------------------------------------------------------------------------------

    def _say(self, message: str) -> None:
        self.messages.append(message)
        self._report(message)

    def _on_pending(self, action: VmAction) -> None:
        if action.kind is ActionKind.Power:
            self.update_enabled()

    def _on_finished(self, result: ActionResult) -> None:
        self._conclude(result.action, result.message)

    def _on_failed(self, failure: ActionFailure) -> None:
        self._conclude(failure.action, failure.message)

    def _conclude(self, action: VmAction, message: str) -> None:
        if action.kind is not ActionKind.Power:
            return
        batch = next((b for b in self._batches if id(action) in b.waiting), None)
        if batch is None:
            self._say(message)
            return
        batch.waiting.discard(id(action))
        batch.messages.append(message)
        if not batch.waiting:
            self._batches.remove(batch)
            self._say(" ".join(batch.messages + batch.skipped))
        self.update_enabled()
