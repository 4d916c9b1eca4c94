"""Power actions on VMs: which ones a VM's state allows, and why a graceful shutdown may be impossible.

The state rules are the host's own (`gm_StateTransitionMap` of the Hyper-V module, hyperv-api.md §2.2), so
hvgui offers exactly what the host would accept. A graceful shutdown additionally needs the guest's Shutdown
integration service: without it `Stop-VM` would ask whether to turn the VM off instead, and in a remote
session that question fails. hvgui therefore checks first (`shutdown_blocker`) and offers Turn Off itself.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from hvgui.domain.integration import SHUTDOWN, ComponentStatus
from hvgui.domain.vm import Vm, VmState


class PowerAction(enum.Enum):
    """What the window can do to a VM's power state. Values are stable identifiers, not display text."""

    Start = "Start"
    ShutDown = "ShutDown"  # graceful, through the guest's Shutdown integration service (Stop-VM)
    TurnOff = "TurnOff"  # hard power-off (Stop-VM -TurnOff)
    Save = "Save"  # save the memory state and stop (Save-VM)
    Restart = "Restart"  # hard reset (Restart-VM -Force); the guest does not shut down first
    Pause = "Pause"  # freeze the VM in memory (Suspend-VM); the guest does not notice until resumed
    Resume = "Resume"  # continue a paused VM (Resume-VM)

    @property
    def label(self) -> str:
        """Menu and button text, as Hyper-V Manager words it."""
        return _INFO[self].label

    @property
    def description(self) -> str:
        """One sentence for a tooltip or a status bar."""
        return _INFO[self].description

    @property
    def is_hard(self) -> bool:
        """True for actions that stop the guest OS without asking it (data may be lost): ask first."""
        return self in (PowerAction.TurnOff, PowerAction.Restart)


@dataclass(frozen=True)
class _ActionInfo:
    label: str
    description: str
    allowed: frozenset[VmState]
    target: VmState | None  # the state the host reports "already in the specified state" for


_INFO: dict[PowerAction, _ActionInfo] = {
    PowerAction.Start: _ActionInfo(
        "Start",
        "Starts the VM, or resumes it from a saved or paused state.",
        frozenset({VmState.Off, VmState.Saved, VmState.Paused, VmState.FastSaved, VmState.Hibernated}),
        VmState.Running,
    ),
    PowerAction.ShutDown: _ActionInfo(
        "Shut Down",
        "Asks the guest operating system to shut down cleanly, through the Shutdown integration service.",
        frozenset({VmState.Running}),
        VmState.Off,
    ),
    PowerAction.TurnOff: _ActionInfo(
        "Turn Off",
        "Powers the VM off at once, like pulling the power cord; unsaved data in the guest is lost.",
        frozenset({VmState.Running, VmState.Paused, VmState.Saved, VmState.FastSaved}),
        VmState.Off,
    ),
    PowerAction.Save: _ActionInfo(
        "Save",
        "Saves the VM's memory and device state to disk and stops it; Start resumes where it left off.",
        frozenset({VmState.Running, VmState.Paused}),
        VmState.Saved,
    ),
    PowerAction.Restart: _ActionInfo(
        "Restart",
        "Resets the VM like a computer's reset button; the guest does not shut down first.",
        frozenset({VmState.Running}),
        None,
    ),
    PowerAction.Pause: _ActionInfo(
        "Pause",
        "Freezes the VM where it is, keeping its memory on the host; Resume continues it. Its guest and "
        "network connections stop answering meanwhile.",
        frozenset({VmState.Running}),
        VmState.Paused,
    ),
    PowerAction.Resume: _ActionInfo(
        "Resume",
        "Continues a paused VM where it stopped.",
        frozenset({VmState.Paused}),
        VmState.Running,
    ),
}


def allowed_states(action: PowerAction) -> frozenset[VmState]:
    """The VM states from which the host accepts `action` (hyperv-api.md §2.2)."""
    return _INFO[action].allowed


def action_available(vm: Vm, action: PowerAction) -> bool:
    """Whether the host would carry out `action` on the VM in its last reported state.

    A VM already in the action's target state is not offered the action: the host would only warn that
    it already is there.
    """
    return vm.state in _INFO[action].allowed


def available_actions(vm: Vm) -> list[PowerAction]:
    return [action for action in PowerAction if action_available(vm, action)]


def unavailable_reason(vm: Vm, action: PowerAction) -> str | None:
    """Why `action` is not offered for the VM now (a tooltip for a greyed-out command); None if it is."""
    if action_available(vm, action):
        return None
    state = vm.state
    name = _quoted(vm.name)
    if state.is_transitional:
        return f"{name} is {state.label.lower()}; wait until that finishes."
    info = _INFO[action]
    if state is info.target:
        return f"{name} is already {describe_state(state)}."
    if action is PowerAction.Save and not state.is_running:
        return f"{name} is {describe_state(state)}; only a running or paused VM can be saved."
    if action in (PowerAction.ShutDown, PowerAction.Restart, PowerAction.Pause):
        return f"{name} is {describe_state(state)}; only a running VM can be {_past(action)}."
    if action is PowerAction.Resume:
        return f"{name} is {describe_state(state)}; only a paused VM can be resumed."
    return f"{action.label} is not possible while {name} is {describe_state(state)}."


def shutdown_blocker(vm: Vm) -> str | None:
    """Why a graceful shutdown of the VM is impossible right now, or None when the host would start one.

    Mirrors the host's own test (`IsShutdownComponentAvailable`: the Shutdown service is present, enabled
    and its primary status is OK) and its state rule (only a Running VM shuts down). When this returns a
    reason, sending `Stop-VM` would fail with the non-interactive prompt error; offer Turn Off instead.
    """
    name = _quoted(vm.name)
    if vm.state is not VmState.Running:
        if vm.state in (VmState.Off, VmState.OffCritical):
            return f"{name} is already off."
        if vm.state.is_transitional:
            return f"{name} is {vm.state.label.lower()}; wait until that finishes."
        return f"{name} is {describe_state(vm.state)}; only a running VM can shut down."
    service = vm.service(SHUTDOWN.ic_guid)
    if service is None:
        return (
            f"The host reports no Shutdown integration service for {name}, so Hyper-V cannot ask its guest "
            "operating system to shut down."
        )
    if not service.enabled:
        return (
            f"The Shutdown integration service of {name} is disabled, so Hyper-V cannot ask its guest "
            "operating system to shut down. Enable the service, or turn the VM off."
        )
    primary = service.primary
    if primary is ComponentStatus.Ok:
        return None
    if primary is ComponentStatus.NoContact:
        return (
            f"The guest of {name} does not answer the Shutdown integration service (No Contact): its operating "
            "system is still starting, or its shutdown component (vmicshutdown on Windows, hv_utils on Linux) "
            "is not running."
        )
    if primary is ComponentStatus.LostCommunication:
        return (
            f"The guest of {name} stopped answering the Shutdown integration service (Lost Communication): "
            "its operating system may hang or have crashed."
        )
    if primary is None:
        return f"The Shutdown integration service of {name} reports no status, so Hyper-V cannot use it now."
    reported = service.primary_text or primary.name
    return f"The Shutdown integration service of {name} reports {reported!r}, so Hyper-V cannot use it now."


def confirm_text(action: PowerAction, vm_names: Sequence[str]) -> str | None:
    """The question to ask before `action` on these VMs, or None when the action needs no confirmation.

    Turn Off and Restart always ask (data may be lost). Shut Down asks too, as Hyper-V Manager does, naming
    every VM; the window may let the admin stop that question ("don't ask again"), never the others. Names
    are used as given: a window that shows host-supplied names on one line passes them so shaped.
    """
    if not asks_first(action) or not vm_names:
        return None
    if action is PowerAction.ShutDown:
        return _shutdown_question(vm_names)
    if len(vm_names) == 1:
        subject = _quoted(vm_names[0])
    else:
        subject = f"these {len(vm_names)} virtual machines ({_list(vm_names)})"
    if action is PowerAction.TurnOff:
        return (
            f"Turn off {subject}?\n\n"
            "This is like pulling the power cord: the guest operating system is not shut down, and anything "
            "it has not yet written to disk (open documents, unfinished database transactions) can be lost "
            "or corrupted. Use Shut Down if the guest can still shut down cleanly, or Save to keep its "
            "memory state."
        )
    return (
        f"Restart {subject}?\n\n"
        "Restart resets the VM like a computer's reset button: the guest operating system is not shut down "
        "first, so anything it has not yet written to disk can be lost or corrupted. To restart cleanly, "
        "restart from inside the guest, or Shut Down and then Start."
    )


def asks_first(action: PowerAction) -> bool:
    """Whether the window asks before `action`: the hard actions, and Shut Down (as Hyper-V Manager does)."""
    return action.is_hard or action is PowerAction.ShutDown


#: The most VM names the Shut Down question lists (one per line) before it says "and N more".
SHUTDOWN_NAMES_SHOWN = 10


def _shutdown_question(vm_names: Sequence[str]) -> str:
    """The VMs by name (one per line), and what a graceful shutdown does."""
    if len(vm_names) == 1:
        subject = f"Shut down {_quoted(vm_names[0])}?"
    else:
        names = [f"\u2022 {_quoted(name)}" for name in vm_names[:SHUTDOWN_NAMES_SHOWN]]
        more = len(vm_names) - SHUTDOWN_NAMES_SHOWN
        if more > 0:
            names.append(f"\u2022 and {more} more")
        subject = f"Shut down these {len(vm_names)} virtual machines?\n\n" + "\n".join(names)
    return (
        f"{subject}\n\nHyper-V asks each guest operating system to shut down cleanly, through its Shutdown "
        "integration service. Programs in the guest are closed; work not saved in them may be lost."
    )


def _quoted(name: str) -> str:
    return f"'{name}'"


def _list(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(_quoted(n) for n in names[:limit])
    more = len(names) - limit
    return f"{shown} and {more} more" if more > 0 else shown


def describe_state(state: VmState) -> str:
    """A state as it reads inside a sentence: `Off` -> `off`, `FastSaved` -> `fast saved`."""
    return state.label.replace("Critical", " (critical)").lower()


def _past(action: PowerAction) -> str:
    return {
        PowerAction.ShutDown: "shut down",
        PowerAction.Restart: "restarted",
        PowerAction.Pause: "paused",
        PowerAction.Resume: "resumed",
    }.get(action, action.label.lower())


_DONE = {
    PowerAction.Start: "Started",
    PowerAction.ShutDown: "Shut down",
    PowerAction.TurnOff: "Turned off",
    PowerAction.Save: "Saved",
    PowerAction.Restart: "Restarted",
    PowerAction.Pause: "Paused",
    PowerAction.Resume: "Resumed",
}
#: States from which Start-VM restores the VM's memory instead of booting it.
_RESTORED_FROM = frozenset({VmState.Saved, VmState.FastSaved, VmState.Hibernated})


def done_text(action: PowerAction, vm_name: str, from_state: VmState | None = None) -> str:
    """What a finished power action did, in a sentence: Start on a paused VM resumed it, and on a saved VM
    restored it from its saved state; saying "Started" there would hide that the guest did not boot."""
    name = _quoted(vm_name)
    if action is PowerAction.Start and from_state is VmState.Paused:
        return f"Resumed {name}."
    if action is PowerAction.Start and from_state in _RESTORED_FROM:
        return f"Restored {name} from its saved state."
    return f"{_DONE[action]} {name}."
