"""What the inventory already says about a copy into a VM, before the admin presses Copy.

`Copy-VMFile` needs a running VM whose Guest Service Interface is enabled on the host and answered by the
guest (`vmicguestinterface` on Windows, `hv_fcopy_uio_daemon`, formerly `hv_fcopy_daemon`, on Linux). Each
missing piece is explained in the words of `hvgui.domain.why`; a disabled service comes with the offer to
enable it. Statuses that leave the service working in part (degraded, protocol mismatch) warn but allow.
The host's runner checks again before any byte is sent: the inventory may be a refresh old.
"""

from __future__ import annotations

from dataclasses import dataclass

from hvgui.domain.guest_paths import GuestOs, guess_os
from hvgui.domain.integration import GUEST_SERVICE_INTERFACE, ComponentStatus
from hvgui.domain.power import describe_state
from hvgui.domain.vm import Vm, VmState
from hvgui.domain.why import GuestFamily, explain, guest_family
from hvgui.ui.text import one_line

#: Statuses of Guest Service Interface under which no file gets into the guest.
_NOT_ANSWERING = frozenset(
    {
        ComponentStatus.NoContact,
        ComponentStatus.LostCommunication,
        ComponentStatus.CommunicationTimedOut,
        ComponentStatus.CommunicationFailed,
        ComponentStatus.Disabled,
        ComponentStatus.Error,
        ComponentStatus.NonRecoverableError,
    }
)
_PAUSED = frozenset({VmState.Paused, VmState.Pausing, VmState.PausedCritical})


@dataclass(frozen=True)
class CopyReadiness:
    """Whether Copy may be pressed, and what to tell the admin either way."""

    ready: bool
    text: str = ""  # empty when nothing needs saying
    offer_enable: bool = False  # Guest Service Interface is off: offer to enable it


def readiness(vm: Vm | None) -> CopyReadiness:
    """What the last refresh of `vm` says about copying files into it."""
    if vm is None:
        return CopyReadiness(False, "The VM is no longer listed: its host was removed or no longer reports it.")
    if not vm.state.is_running:
        return CopyReadiness(
            False,
            f"'{vm.name}' is {describe_state(vm.state)}. Files can be copied only into a running guest: "
            "start the VM, then copy.",
        )
    if vm.state in _PAUSED:
        return CopyReadiness(False, f"'{vm.name}' is paused, so its guest cannot receive files. Resume it (Start).")
    service = vm.service(GUEST_SERVICE_INTERFACE.ic_guid)
    if service is None:
        return CopyReadiness(
            True,
            f"The host does not report Guest Service Interface for '{vm.name}'; the copy fails if it is off.",
        )
    if not service.enabled:
        return CopyReadiness(False, explain(vm, service) or "", offer_enable=True)
    status = service.primary
    if status in _NOT_ANSWERING or (status is ComponentStatus.Ok and service.secondary in _NOT_ANSWERING):
        why = explain(vm, service) or ""
        return CopyReadiness(False, f"Guest Service Interface does not answer in the guest. {why}".strip())
    if status is not ComponentStatus.Ok:
        return CopyReadiness(True, explain(vm, service) or "")
    return CopyReadiness(True)


def guest_os(vm: Vm, folder: str = "") -> GuestOs:
    """Which path rules the guest follows: from its OS name, else from the shape of the folder typed."""
    family = guest_family(vm)
    if family is GuestFamily.Windows:
        return GuestOs.Windows
    if family is GuestFamily.Linux:
        return GuestOs.Linux
    return guess_os(folder)


_PAUSED = frozenset({VmState.Paused, VmState.Pausing, VmState.PausedCritical})


def powershell_direct_blocker(vm: Vm | None) -> str | None:
    """Why the inventory says PowerShell Direct cannot reach the guest of `vm` now (so nothing can be copied out
    of it, nor its folders browsed), or None."""
    if vm is None:
        return "The VM is no longer listed: its host was removed or no longer reports it."
    if guest_family(vm) is GuestFamily.Linux:
        return (
            f"'{one_line(vm.name)}' runs a Linux guest. PowerShell Direct does not support Linux guests, "
            "so hvgui cannot copy files out of it."
        )
    if not vm.state.is_running:
        return (
            f"'{one_line(vm.name)}' is {describe_state(vm.state)}. Files can be copied only out of a running guest: "
            "start the VM, then copy."
        )
    if vm.state in _PAUSED:
        return f"'{one_line(vm.name)}' is paused, so its guest cannot answer. Resume it (Start)."
    return None
