"""`HostApi`: typed calls to one host. Each builds a PipelineSpec, runs it, and parses the answer.

Callers get domain objects or a domain error, never pypsrp objects. Values such as VM names only ever
travel as parameters of the spec.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

from hvgui.domain.checkpoints import Checkpoint, CheckpointOutcome
from hvgui.domain.errors import HostCommandError, ProtocolError
from hvgui.domain.inventory import InventoryDiff, diff_inventory
from hvgui.domain.listing import Listing
from hvgui.domain.operations import OperationProgress
from hvgui.domain.power import PowerAction
from hvgui.domain.vm import CheckpointType, Inventory, Vm
from hvgui.remoting.connection import HostConnection, PipelineResult
from hvgui.remoting.parse import (
    InventoryReader,
    InventoryReport,
    VmHostInfo,
    parse_checkpoint,
    parse_vm_host,
    parse_vm_object,
    properties_of,
)
from hvgui.remoting.pipeline import PipelineSpec

log = logging.getLogger(__name__)

T = TypeVar("T")
#: Receives the host's progress records of a running change (on the loop thread).
ProgressCallback: TypeAlias = Callable[[OperationProgress], None] | None

#: One round trip for the whole host: the host module's function.
INVENTORY = PipelineSpec.cmdlet("Get-HvGuiInventory")
VM_HOST = PipelineSpec.cmdlet("Get-VMHost")
#: The host module's toggle, which finds the service by its IC GUID whatever the host's language.
SET_INTEGRATION_SERVICE = "Set-HvGuiIntegrationService"


def vm_by_id(vm_id: str) -> PipelineSpec:
    """`Get-VM -Id <guid>`: the start of every per-VM pipeline. VMs are addressed by id, never by name."""
    return PipelineSpec.cmdlet("Get-VM").param("Id", _guid(vm_id, "a VM id"))


def power_spec(vm_id: str, action: PowerAction) -> PipelineSpec:
    """The pipeline of a power action. Mutating cmdlets get `-Confirm:$false`, so a host whose
    `$ConfirmPreference` is lowered never prompts (a remote session cannot answer a prompt)."""
    vm = vm_by_id(vm_id)
    if action is PowerAction.Start:
        return vm.pipe("Start-VM").param("Confirm", False)
    if action is PowerAction.ShutDown:
        return vm.pipe("Stop-VM").param("Confirm", False)
    if action is PowerAction.TurnOff:
        return vm.pipe("Stop-VM").switch("TurnOff").param("Confirm", False)
    if action is PowerAction.Save:
        return vm.pipe("Save-VM").param("Confirm", False)
    if action is PowerAction.Pause:
        return vm.pipe("Suspend-VM").param("Confirm", False)
    if action is PowerAction.Resume:
        return vm.pipe("Resume-VM").param("Confirm", False)
    # Restart-VM asks "Are you sure?" (ShouldContinue) unless -Force, and a remote session cannot answer.
    return vm.pipe("Restart-VM").switch("Force").param("Confirm", False)


def checkpoint_spec(vm_id: str, name: str | None = None) -> PipelineSpec:
    spec = vm_by_id(vm_id).pipe("Checkpoint-VM")
    if name:
        spec = spec.param("SnapshotName", name)
    return spec.switch("Passthru").param("Confirm", False)


def checkpoint_by_id(checkpoint_id: str) -> PipelineSpec:
    """`Get-VMSnapshot -Id <guid>`: checkpoints are addressed by id, never by name (names need not be unique)."""
    return PipelineSpec.cmdlet("Get-VMSnapshot").param("Id", _guid(checkpoint_id, "a checkpoint id"))


def apply_checkpoint_spec(checkpoint_id: str) -> PipelineSpec:
    return checkpoint_by_id(checkpoint_id).pipe("Restore-VMSnapshot").param("Confirm", False)


def delete_checkpoint_spec(checkpoint_id: str, *, subtree: bool = False) -> PipelineSpec:
    spec = checkpoint_by_id(checkpoint_id).pipe("Remove-VMSnapshot")
    if subtree:
        spec = spec.switch("IncludeAllChildSnapshots")
    return spec.param("Confirm", False)


def rename_checkpoint_spec(checkpoint_id: str, new_name: str) -> PipelineSpec:
    return checkpoint_by_id(checkpoint_id).pipe("Rename-VMSnapshot").param("NewName", new_name).param("Confirm", False)


def set_integration_service_spec(vm_id: str, ic_guid: str, enabled: bool) -> PipelineSpec:
    component = str(_guid(ic_guid, "an integration component GUID")).upper()
    return (
        PipelineSpec.cmdlet(SET_INTEGRATION_SERVICE)
        .param("VMId", _guid(vm_id, "a VM id"))
        .param("ComponentId", component)
        .param("Enabled", bool(enabled))
    )


class HostApi:
    """The operations hvgui performs on one host, over that host's connection."""

    def __init__(self, connection: HostConnection, *, clock: Callable[[], float] = time.time) -> None:
        self.connection = connection
        self._clock = clock
        #: Reads successive inventories of this host, reusing what did not change.
        self._reader = InventoryReader(connection.key)

    @property
    def key(self) -> str:
        return self.connection.key

    async def inventory(self, *, timeout: float | None = None) -> InventoryReport:
        """Every VM with its integration services, in one round trip.

        The answer is decoded on the connection's worker thread: for a large host that takes long enough
        to freeze a window if it ran on the loop (Qt) thread.
        """
        return await self.connection.run_then(INVENTORY, self._read_inventory, timeout=timeout)

    async def inventory_update(
        self, previous: Inventory | None, *, timeout: float | None = None
    ) -> tuple[InventoryReport, InventoryDiff]:
        """`inventory`, and what changed since `previous`, both worked out on the connection's worker thread,
        so the loop thread only applies the result."""

        def read_and_compare(result: PipelineResult) -> tuple[InventoryReport, InventoryDiff]:
            report = self._read_inventory(result)
            return report, diff_inventory(previous, report.inventory)

        return await self.connection.run_then(INVENTORY, read_and_compare, timeout=timeout)

    def _read_inventory(self, result: PipelineResult) -> InventoryReport:
        """Runs on the worker thread (see `inventory`)."""
        for error in result.errors:  # e.g. one VM vanished between Get-VM and Get-VMIntegrationService
            log.info("inventory of %s: %s (%s)", self.key, error.message, error.fully_qualified_error_id)
        text = _single_string(result, "Get-HvGuiInventory")
        return self._reader.read(text, fetched_at=self._clock())

    async def get_vm_host(self, *, timeout: float | None = None) -> VmHostInfo:
        """The host's own description (`Get-VMHost`): its name, processors, memory and default paths."""
        result = await self.connection.run(VM_HOST, timeout=timeout)
        if not result.output:
            _raise_first_error(result, "Get-VMHost")
        return parse_vm_host(properties_of(result.output[0]))

    async def get_vms(self, name: str | None = None, *, timeout: float | None = None) -> Listing[Vm]:
        """`Get-VM [-Name name]`: the VMs whose name matches (Hyper-V treats `*?[]` as wildcards).

        A name that matches nothing gives an empty list: Get-VM reports that as a non-terminating error,
        which is the answer, not a failure.
        """
        spec = PipelineSpec.cmdlet("Get-VM")
        if name is not None:
            spec = spec.param("Name", name)
        result = await self.connection.run(spec, timeout=timeout)
        return _parse_each(result, lambda props: parse_vm_object(props, host=self.key), "Get-VM", self.key)

    # --- changes. The operations runner (`HostSession.operations`) calls these on the host's work lane and
    # then asks for a refresh. `timeout` bounds the pipeline (default: the connection's operation timeout);
    # `on_progress` receives the host's progress records while it runs.

    async def set_integration_service(
        self,
        vm_id: str,
        ic_guid: str,
        enabled: bool,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback = None,
    ) -> list[str]:
        """Enable or disable one integration service, identified by its IC GUID. Returns the host's warnings.

        Raises HostCommandError when the host refuses (VM gone, unknown service, access denied).
        """
        spec = set_integration_service_spec(vm_id, ic_guid, enabled)
        result = await self._run(spec, timeout=timeout, on_progress=on_progress)
        return list(result.warnings)

    async def power(
        self,
        vm_id: str,
        action: PowerAction,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback = None,
    ) -> list[str]:
        """Start, shut down, turn off, save or restart a VM. Returns the host's warnings, such as "The virtual
        machine is already in the specified state."

        A graceful shutdown of a VM whose Shutdown service is unavailable fails on the host (it would have to
        ask whether to turn the VM off instead); check `hvgui.domain.power.shutdown_blocker` first.
        """
        result = await self._run(power_spec(vm_id, action), action=action, timeout=timeout, on_progress=on_progress)
        return list(result.warnings)

    async def checkpoint(
        self,
        vm_id: str,
        name: str | None = None,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback = None,
    ) -> CheckpointOutcome:
        """Create a checkpoint (the host names it when `name` is empty) and return it with the host's warnings.

        When checkpoint type Production falls back to a standard checkpoint, the host says nothing (no warning,
        and the same SnapshotType, hyperv-cim-winrm.md §5), so the outcome cannot tell either.
        """
        result = await self._run(checkpoint_spec(vm_id, name), timeout=timeout, on_progress=on_progress)
        checkpoints = _parse_each(result, parse_checkpoint, "Checkpoint-VM", self.key)
        if not checkpoints.complete:
            log.warning("the checkpoint created on %s could not be read back; the next listing shows it", self.key)
        return CheckpointOutcome(
            checkpoint=checkpoints[-1] if checkpoints else None,
            warnings=result.warnings,
        )

    async def change_checkpoint(
        self,
        spec: PipelineSpec,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback = None,
    ) -> list[str]:
        """Apply, delete or rename a checkpoint (`apply_checkpoint_spec` and its siblings); returns the warnings.

        Raises HostCommandError when the host refuses: the checkpoint is gone (ObjectNotFound), or the VM is in
        a transition (InvalidState).
        """
        result = await self._run(spec, timeout=timeout, on_progress=on_progress)
        return list(result.warnings)

    async def list_checkpoints(self, vm_id: str) -> Listing[Checkpoint]:
        """The VM's checkpoints in the host's order (`Get-VMSnapshot`); `unreadable` counts any left out."""
        result = await self._run(vm_by_id(vm_id).pipe("Get-VMSnapshot"))
        return _parse_each(result, parse_checkpoint, "Get-VMSnapshot", self.key)

    async def set_checkpoint_type(
        self,
        vm_id: str,
        checkpoint_type: CheckpointType,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback = None,
    ) -> list[str]:
        """`Set-VM -CheckpointType`: Disabled, Production, ProductionOnly or Standard. Returns the warnings."""
        spec = vm_by_id(vm_id).pipe("Set-VM").param("CheckpointType", checkpoint_type.name).param("Confirm", False)
        result = await self._run(spec, timeout=timeout, on_progress=on_progress)
        return list(result.warnings)

    async def _run(
        self,
        spec: PipelineSpec,
        *,
        action: PowerAction | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback = None,
    ) -> PipelineResult:
        """Run a command that changes something; the host's first error is raised, with advice added."""
        try:
            result = await self.connection.run(spec, timeout=timeout, on_progress=on_progress)
        except HostCommandError as error:  # a terminating error, e.g. Get-VM -ErrorAction Stop in the module
            raise with_advice(error, action=action) from error
        if result.errors:
            for extra in result.errors[1:]:
                log.info("%s on %s: %s (%s)", spec.first_command, self.key, extra, extra.fully_qualified_error_id)
            raise with_advice(result.errors[0], action=action)
        return result


def with_advice(error: HostCommandError, *, action: PowerAction | None = None) -> HostCommandError:
    """The host's error with what to do about it. The host's text is localized, so only ids are matched."""
    fqid = error.fully_qualified_error_id
    error_id, _, command = fqid.partition(",")
    cmdlet = command.rsplit(".", 1)[-1]
    if cmdlet == "StopVM" and error_id == "InvalidOperation" and action is PowerAction.ShutDown:
        return HostCommandError(
            "Hyper-V cannot shut this VM down: its Shutdown integration service is unavailable.",
            fully_qualified_error_id=fqid,
            category=error.category,
            target=error.target,
            hint="Turn the VM off instead (like pulling the power cord: data the guest has not written is lost), "
            f"or enable the Shutdown service and wait until the guest answers. The host said: {error.message}",
        )
    if error_id == "ObjectNotFound" or (cmdlet == "GetVM" and error_id == "InvalidParameter"):
        hint = "The VM was deleted or moved to another host; the next refresh updates the list."
    elif error_id == "InvalidState":
        hint = "The VM's state changed since the last refresh; the next refresh shows its current state."
    elif cmdlet == "CheckpointVM" and error_id == "OperationFailed":
        hint = (
            "With checkpoint type Production only, the guest must take part through its VSS integration "
            "service; enable VSS (and make sure it answers in the guest) or change the checkpoint type."
        )
    elif error_id == "AccessDenied" or error.category == "PermissionDenied":
        hint = "The account needs to be in Hyper-V Administrators (or local Administrators) on the host."
    else:
        return error
    if error.hint:
        return error
    return HostCommandError(
        error.message, fully_qualified_error_id=fqid, category=error.category, target=error.target, hint=hint
    )


def _parse_each(result: PipelineResult, parser: Callable[[dict[str, Any]], T], command: str, host: str) -> Listing[T]:
    """Parse each output object; one that cannot be parsed is logged and counted, never silently dropped.

    Plain strings are skipped on purpose: cmdlets such as Checkpoint-VM may write text besides objects.
    """
    items: list[T] = []
    unreadable = result.unreadable
    for obj in result.output:
        if isinstance(obj, str):
            continue
        try:
            items.append(parser(properties_of(obj)))
        except Exception as exc:
            unreadable += 1
            log.warning("%s on %s: an object could not be read (%s); the list is marked incomplete", command, host, exc)
    return Listing(items, unreadable=unreadable)


def _guid(text: str, what: str) -> uuid.UUID:
    """A GUID from hvgui's own data (inventory ids); anything else is a programming error, said clearly."""
    try:
        return uuid.UUID(str(text).strip())
    except ValueError:
        raise ValueError(f"not {what}: {text!r}") from None


def _single_string(result: PipelineResult, command: str) -> str:
    strings = [o for o in result.output if isinstance(o, str)]
    if len(strings) == 1:
        return strings[0]
    if not strings:
        _raise_first_error(result, command)
    raise ProtocolError(f"{command} answered {len(result.output)} objects; hvgui expects exactly one string.")


def _raise_first_error(result: PipelineResult, command: str) -> None:
    if result.errors:
        raise result.errors[0]
    raise ProtocolError(f"{command} answered nothing.", hint="The host module may be outdated; reconnect.")
