"""`perform`: the one place that knows which HostApi call carries out which kind of operation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hvgui.domain.existing_files import AskExisting
from hvgui.domain.kvp_operations import KvpBulkOperation, KvpEditOperation
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
    PowerOperation,
    ServiceToggleOperation,
)
from hvgui.remoting.guest_credentials import GuestCredentials
from hvgui.remoting.hostapi import (
    HostApi,
    ProgressCallback,
    apply_checkpoint_spec,
    delete_checkpoint_spec,
    rename_checkpoint_spec,
)
from hvgui.remoting.operations.perform_kvp import perform_kvp
from hvgui.remoting.transfers import copy_to_guest
from hvgui.remoting.transfers.from_guest import copy_from_guest
from hvgui.remoting.transfers.guest_lookup import GuestLookup
from hvgui.remoting.transfers.upload import ExtraLanes


@dataclass(frozen=True)
class Outcome:
    """What a finished pipeline said: the host's warnings, and for a checkpoint the outcome (for a copy into a
    guest, the `CopyReport`, with a note per file that exists in the guest as its warnings; out of a guest the
    same, for files that exist on this computer)."""

    warnings: tuple[str, ...] = ()
    result: object | None = None


async def perform(
    api: HostApi,
    operation: Operation,
    *,
    timeout: float,
    on_progress: ProgressCallback = None,
    guest_credentials: GuestCredentials | None = None,
    ask_existing: AskExisting | None = None,
    extra_lanes: ExtraLanes | None = None,
) -> Outcome:
    """Run one typed operation through the HostApi call that carries it out. A copy out of a guest signs in
    with the account `guest_credentials` holds for its VM (the UI puts it there before it submits); a copy
    into a guest asks `ask_existing` about files that exist there when its policy is Ask, with the account
    of the guest at hand looks at the guest's files before sending them, and sends several files at once on
    connections `extra_lanes` can spare."""
    vm_id = operation.target.vm_id
    options: dict[str, Any] = {"timeout": timeout, "on_progress": on_progress}
    if isinstance(operation, PowerOperation):
        return Outcome(tuple(await api.power(vm_id, operation.action, **options)))
    if isinstance(operation, ServiceToggleOperation):
        warnings = await api.set_integration_service(vm_id, operation.ic_guid, operation.enable, **options)
        return Outcome(tuple(warnings))
    if isinstance(operation, CheckpointTypeOperation):
        return Outcome(tuple(await api.set_checkpoint_type(vm_id, operation.checkpoint_type, **options)))
    if isinstance(operation, CheckpointCreateOperation):
        outcome = await api.checkpoint(vm_id, operation.name, **options)
        return Outcome(tuple(outcome.warnings), outcome)
    if isinstance(operation, CheckpointApplyOperation):
        return Outcome(tuple(await api.change_checkpoint(apply_checkpoint_spec(operation.checkpoint_id), **options)))
    if isinstance(operation, CheckpointDeleteOperation):
        spec = delete_checkpoint_spec(operation.checkpoint_id, subtree=operation.subtree)
        return Outcome(tuple(await api.change_checkpoint(spec, **options)))
    if isinstance(operation, CheckpointRenameOperation):
        spec = rename_checkpoint_spec(operation.checkpoint_id, operation.new_name)
        return Outcome(tuple(await api.change_checkpoint(spec, **options)))
    if isinstance(operation, CopyToGuestOperation):
        # A transfer is many short calls (chunks), each bounded by its own time-out, not by `timeout`. With the
        # guest's account at hand, a file that exists in the guest is found (and skipped) before it is sent.
        credential = guest_credentials.get(vm_id) if guest_credentials is not None else None
        guest_files = None
        if credential is not None and operation.existing is not ExistingFile.Overwrite:
            guest_files = GuestLookup(api.connection, vm_id, operation.target.vm_name, credential)
        report = await copy_to_guest(
            api.connection,
            operation,
            on_progress=on_progress,
            ask_existing=ask_existing,
            guest_files=guest_files,
            extra_lanes=extra_lanes,
        )
        return Outcome(report.notes(), report)
    if isinstance(operation, CopyFromGuestOperation):
        credential = guest_credentials.get(vm_id) if guest_credentials is not None else None
        report = await copy_from_guest(api.connection, operation, credential, on_progress=on_progress)
        return Outcome(report.notes(), report)
    if isinstance(operation, (KvpEditOperation, KvpBulkOperation)):
        return await perform_kvp(api, operation, **options)
    raise TypeError(f"hvgui cannot run {type(operation).__name__} yet")
