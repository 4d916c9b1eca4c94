"""Integration services across many VMs: desired states, baselines, the plan of changes and its results.

The admin edits a VMs x services matrix of desired states (or applies a baseline); `plan_changes` turns
it into the list of changes that really differ from what the hosts last reported, each with what
disabling costs. After applying, every change gets a `ChangeResult`: made, failed with the host's reason,
or not attempted (and why). Nothing is dropped on the way.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hvgui.domain.integration import (
    GUEST_SERVICE_INTERFACE,
    INTEGRATION_COMPONENTS,
    KVP,
    SHUTDOWN,
    TIME_SYNC,
    VSS,
    Impact,
    ServiceInfo,
    service_for_guid,
)
from hvgui.domain.vm import CheckpointType, Vm, VmKey
from hvgui.domain.why import ServiceCondition, service_condition

#: Desired enabled state per VM and IC GUID; a service missing from a VM's mapping is left as it is.
DesiredState = Mapping[VmKey, Mapping[str, bool]]

#: The IC GUIDs of the six integration components, in the host's order.
IC_GUIDS: tuple[str, ...] = tuple(s.ic_guid for s in INTEGRATION_COMPONENTS if s.ic_guid is not None)
_GSI = str(GUEST_SERVICE_INTERFACE.ic_guid)
_TIME_SYNC = str(TIME_SYNC.ic_guid)


@dataclass(frozen=True)
class PlannedChange:
    """One service of one VM to switch on or off.

    Its command (and its "Copy as PowerShell" text, which names the host) is the typed operation's:
    `ServiceToggleOperation.of_change`.
    """

    vm_key: VmKey
    vm_name: str
    ic_guid: str
    service_name: str  # as the host reports it (localized on a localized host)
    enable: bool
    impact_warning: str | None = None  # what the change costs or risks, for the preview
    currently_enabled: bool | None = None  # None: the host did not report the service

    @property
    def host(self) -> str:
        return self.vm_key.host

    @property
    def info(self) -> ServiceInfo | None:
        return service_for_guid(self.ic_guid)

    @property
    def is_high_impact_disable(self) -> bool:
        info = self.info
        return not self.enable and info is not None and info.impact is Impact.High

    @property
    def description(self) -> str:
        """`Disable Time Synchronization on 'dc01'`."""
        verb = "Enable" if self.enable else "Disable"
        return f"{verb} {self.service_name} on '{self.vm_name}'"


class ResultKind(enum.Enum):
    Done = "Done"
    Failed = "Failed"  # the host refused the change (its reason is in the message)
    Unknown = "Unknown"  # the connection broke while the change was under way: the next refresh tells
    NotAttempted = "Not attempted"  # never sent (the host was unreachable or dropped earlier)


@dataclass(frozen=True)
class ChangeResult:
    """The outcome of one planned change."""

    change: PlannedChange
    ok: bool
    message: str
    kind: ResultKind = ResultKind.Done
    warnings: tuple[str, ...] = field(default=())

    @classmethod
    def done(cls, change: PlannedChange, warnings: Sequence[str] = ()) -> ChangeResult:
        past = "Enabled" if change.enable else "Disabled"
        message = f"{past} {change.service_name} on '{change.vm_name}'."
        if warnings:
            message += " The host warned: " + " ".join(warnings)
        return cls(change, True, message, ResultKind.Done, tuple(warnings))

    @classmethod
    def failed(cls, change: PlannedChange, reason: str) -> ChangeResult:
        return cls(change, False, f"{change.description} failed: {reason}", ResultKind.Failed)

    @classmethod
    def unknown(cls, change: PlannedChange, reason: str) -> ChangeResult:
        return cls(
            change,
            False,
            f"{change.description}: the connection failed while the change was under way ({reason}); hvgui "
            "cannot tell whether it was made. The next refresh of the host shows the truth.",
            ResultKind.Unknown,
        )

    @classmethod
    def not_attempted(cls, change: PlannedChange, reason: str) -> ChangeResult:
        return cls(change, False, f"{change.description} was not attempted: {reason}", ResultKind.NotAttempted)


def summarize(results: Sequence[ChangeResult]) -> str:
    """`3 changes made, 1 failed, 2 not attempted.`"""
    if not results:
        return "Nothing to change."
    counts = {kind: sum(1 for r in results if r.kind is kind) for kind in ResultKind}
    made = counts[ResultKind.Done]
    parts = [f"{made} change{'s' if made != 1 else ''} made"]
    if counts[ResultKind.Failed]:
        parts.append(f"{counts[ResultKind.Failed]} failed")
    if counts[ResultKind.Unknown]:
        parts.append(f"{counts[ResultKind.Unknown]} unconfirmed")
    if counts[ResultKind.NotAttempted]:
        parts.append(f"{counts[ResultKind.NotAttempted]} not attempted")
    return ", ".join(parts) + "."


# --- the matrix and the plan -------------------------------------------------------------------------------


def current_state(vms: Iterable[Vm]) -> dict[VmKey, dict[str, bool]]:
    """The matrix as the hosts last reported it: the starting point of the admin's edits."""
    return {vm.key: {s.ic_guid: s.enabled for s in vm.integration_services} for vm in vms}


def impact_warning(vm: Vm, ic_guid: str, enable: bool) -> str | None:
    """What switching this service costs or risks for this VM, or None when there is nothing to say."""
    info = service_for_guid(ic_guid)
    if info is None:
        return None
    if enable:
        if info is TIME_SYNC and vm.is_domain_controller:
            return (
                f"'{vm.name}' is a domain controller: with Time Synchronization on, its clock follows the "
                "host's rather than the domain time hierarchy."
            )
        return None
    warning = f"Impact: {info.impact.value}. {info.impact_text}"
    if info is TIME_SYNC and vm.is_domain_controller:
        warning += " For a domain controller that takes its time from the domain hierarchy, this is intended."
    if info is VSS and vm.checkpoint_type is CheckpointType.ProductionOnly:
        warning += " Checkpoints of this VM will fail: its checkpoint type is Production only."
    if info is KVP:
        warning += " hvgui will no longer learn the guest's OS, so it cannot tell whether it is a domain controller."
    return warning


def planned_change(vm: Vm, ic_guid: str, enable: bool) -> PlannedChange:
    """The change of one service of one VM (also what a single toggle in the VM panel does)."""
    wanted = ic_guid.upper()
    state = vm.service(wanted)
    info = service_for_guid(wanted)
    name = state.name if state is not None and state.name else (info.name if info is not None else wanted)
    return PlannedChange(
        vm_key=vm.key,
        vm_name=vm.name,
        ic_guid=wanted,
        service_name=name,
        enable=enable,
        impact_warning=impact_warning(vm, wanted, enable),
        currently_enabled=state.enabled if state is not None else None,
    )


def plan_changes(vms: Iterable[Vm], desired: DesiredState) -> list[PlannedChange]:
    """Only the real changes: services whose desired state differs from the reported one.

    VMs keep the order given, services the host's order; a service the host did not report is planned
    (the host then answers for it) rather than dropped.
    """
    changes: list[PlannedChange] = []
    for vm in vms:
        wanted = {guid.upper(): on for guid, on in desired.get(vm.key, {}).items()}
        reported = [s.ic_guid for s in vm.integration_services]
        unreported = [g for g in IC_GUIDS if g not in reported]
        extra = [g for g in wanted if g not in reported and g not in unreported]
        for guid in [*reported, *unreported, *extra]:
            if guid not in wanted:
                continue
            state = vm.service(guid)
            if state is not None and state.enabled == wanted[guid]:
                continue
            changes.append(planned_change(vm, guid, wanted[guid]))
    return changes


def confirm_text(changes: Sequence[PlannedChange]) -> str | None:
    """The question to ask before disabling High-impact services (Shutdown, Time Synchronization), or None."""
    risky = [c for c in changes if c.is_high_impact_disable]
    if not risky:
        return None
    paragraphs: list[str] = []
    by_service: dict[str, list[PlannedChange]] = {}
    for change in risky:
        by_service.setdefault(change.ic_guid, []).append(change)
    if len(risky) == 1:
        only = risky[0]
        question = f"Disable {only.service_name} on '{only.vm_name}'?"
    else:
        counts = [f"{group[0].service_name} on {_count_vms(group)}" for group in by_service.values()]
        question = f"Disable {' and '.join(counts)}?"
    for guid, group in by_service.items():
        names = _names([c.vm_name for c in group])
        paragraphs.append(_consequence(guid, group[0].service_name, names, single=len(risky) == 1))
    return "\n\n".join([question, *paragraphs])


def _consequence(ic_guid: str, service_name: str, vm_names: str, *, single: bool) -> str:
    head = "" if single else f"{service_name} on {vm_names}: "
    if ic_guid == SHUTDOWN.ic_guid:
        return head + (
            "Hyper-V will no longer be able to shut the guest operating system down cleanly. Shut Down (from "
            "hvgui, Hyper-V Manager or Stop-VM) stops working; the only way left to stop the VM is Turn Off, "
            "which is like pulling the power cord and can lose or corrupt data the guest has not yet written "
            "to disk."
        )
    if ic_guid == TIME_SYNC.ic_guid:
        return head + (
            "The host will no longer correct the guest's clock, so it drifts unless the guest has another "
            "time source (the domain hierarchy or an NTP server). Once the clock is more than five minutes "
            "off, Kerberos sign-ins to and from the guest fail, and its logs no longer line up with other "
            "machines'."
        )
    info = service_for_guid(ic_guid)
    return head + (info.impact_text if info is not None else "The guest loses this service.")


def _count_vms(changes: Sequence[PlannedChange]) -> str:
    count = len({c.vm_key for c in changes})
    return f"{count} VM{'s' if count != 1 else ''}"


def _names(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


# --- baselines -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineTarget:
    """What a baseline wants for one VM, and what it deliberately leaves alone (with the reason)."""

    desired: dict[str, bool]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Baseline:
    key: str
    label: str
    description: str
    rule: Callable[[Vm], BaselineTarget] = field(repr=False, compare=False)

    def target(self, vm: Vm) -> BaselineTarget:
        return self.rule(vm)


def _all_on(vm: Vm) -> BaselineTarget:
    return BaselineTarget(dict.fromkeys(IC_GUIDS, True))


def _all_on_except_timesync_for_dcs(vm: Vm) -> BaselineTarget:
    desired = dict.fromkeys(IC_GUIDS, True)
    if vm.is_domain_controller:
        desired[_TIME_SYNC] = False
        return BaselineTarget(desired)
    if vm.guest_product_type is None:
        del desired[_TIME_SYNC]
        return BaselineTarget(
            desired,
            (
                f"Time Synchronization of '{vm.name}' is left as it is: hvgui cannot tell whether it is a domain "
                "controller, because its guest reports no OS data (the VM is not running, or its Key-Value Pair "
                "Exchange service does not answer).",
            ),
        )
    return BaselineTarget(desired)


def _recommended_defaults(vm: Vm) -> BaselineTarget:
    return BaselineTarget({guid: True for guid in IC_GUIDS if guid != _GSI})


ALL_ON = Baseline(
    "all-on",
    "All on",
    "Every integration service enabled, Guest Service Interface included.",
    _all_on,
)
ALL_ON_EXCEPT_TIMESYNC_FOR_DCS = Baseline(
    "all-on-except-timesync-for-dcs",
    "All on, Time Synchronization off for domain controllers",
    "Every integration service enabled, except Time Synchronization on domain controllers, which take their "
    "time from the domain hierarchy. VMs whose role hvgui cannot tell keep their Time Synchronization setting.",
    _all_on_except_timesync_for_dcs,
)
RECOMMENDED_DEFAULTS = Baseline(
    "recommended-defaults",
    "Recommended defaults",
    "Hyper-V's defaults: every integration service enabled; Guest Service Interface (off by default, "
    "needed only to copy files into the guest) is left as it is.",
    _recommended_defaults,
)
BASELINES: tuple[Baseline, ...] = (RECOMMENDED_DEFAULTS, ALL_ON, ALL_ON_EXCEPT_TIMESYNC_FOR_DCS)


def desired_from_baseline(baseline: Baseline, vms: Iterable[Vm]) -> tuple[dict[VmKey, dict[str, bool]], list[str]]:
    """The desired matrix a baseline gives these VMs, and its notes about what it leaves alone."""
    desired: dict[VmKey, dict[str, bool]] = {}
    notes: list[str] = []
    for vm in vms:
        target = baseline.target(vm)
        desired[vm.key] = dict(target.desired)
        notes.extend(target.notes)
    return desired, notes


# --- fleet filters -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FleetFilter:
    key: str
    label: str
    matches: Callable[[Vm], bool] = field(repr=False, compare=False)
    #: Exactly which VMs the filter keeps, in the admin's words (the check box's tooltip).
    description: str = field(default="", compare=False)


def _service_enabled(vm: Vm, ic_guid: str) -> bool | None:
    state = vm.service(ic_guid)
    return None if state is None else state.enabled


def _gsi_off(vm: Vm) -> bool:
    return _service_enabled(vm, _GSI) is False


def _timesync_on_for_dc(vm: Vm) -> bool:
    return vm.is_domain_controller and _service_enabled(vm, _TIME_SYNC) is True


def any_service_not_ok(vm: Vm) -> bool:
    """A service is off (Guest Service Interface aside), or on and reporting a status that is not OK.

    A disabled Shutdown or Heartbeat is as much a finding as a failing one: the admin loses clean shutdowns
    or health reports either way. Guest Service Interface is left out because Hyper-V leaves it off by
    default (the Recommended defaults baseline keeps it so); it has its own filter.
    """
    for state in vm.integration_services:
        condition = service_condition(vm, state)
        if condition is ServiceCondition.Problem:
            return True
        if condition is ServiceCondition.Disabled and (state.ic_guid or "").upper() != _GSI:
            return True
    return False


GSI_OFF = FleetFilter(
    "gsi-off",
    "Guest Service Interface off",
    _gsi_off,
    "Keeps the VMs whose Guest Service Interface is disabled on the host (files cannot be copied into "
    "them). VMs whose host does not report the service are not kept.",
)
TIMESYNC_ON_FOR_DCS = FleetFilter(
    "timesync-on-for-dcs",
    "Time Synchronization on for domain controllers",
    _timesync_on_for_dc,
    "Keeps the domain controllers (as their guests report) whose Time Synchronization is enabled; a domain "
    "controller should take its time from the domain hierarchy. VMs whose guest reports no role are not kept.",
)
ANY_SERVICE_NOT_OK = FleetFilter(
    "any-not-ok",
    "Any service off or not OK",
    any_service_not_ok,
    "Keeps the VMs with at least one integration service that is disabled (Shutdown, Heartbeat, Time "
    "Synchronization, VSS, Key-Value Pair Exchange; Guest Service Interface, off by default, has its own "
    "filter), or that is enabled and reports a status other than OK while the VM runs. A VM that is off or "
    "paused is kept only for a disabled service; a service with no status yet is not counted.",
)
FLEET_FILTERS: tuple[FleetFilter, ...] = (GSI_OFF, TIMESYNC_ON_FOR_DCS, ANY_SERVICE_NOT_OK)


def apply_filters(vms: Iterable[Vm], filters: Iterable[FleetFilter]) -> list[Vm]:
    """The VMs every filter matches (no filters: all of them)."""
    chosen = tuple(filters)
    return [vm for vm in vms if all(f.matches(vm) for f in chosen)]
