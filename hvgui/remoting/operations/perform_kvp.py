"""How the key-value pair operations run: one `Set-HvGuiKvpItems` pipeline on the host's work lane.

A single VM's edit that the host refuses fails the operation with the host's reason; a bulk operation
succeeds with a warning per VM that failed, and its result (`KvpReport`) holds every VM's outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hvgui.domain.errors import HostCommandError
from hvgui.domain.kvp_operations import KvpBulkOperation, KvpEditOperation
from hvgui.remoting.hostapi import HostApi, ProgressCallback
from hvgui.remoting.kvp import apply_actions

if TYPE_CHECKING:
    from hvgui.remoting.operations.perform import Outcome


async def perform_kvp(
    api: HostApi,
    operation: KvpEditOperation | KvpBulkOperation,
    *,
    timeout: float,
    on_progress: ProgressCallback = None,
) -> Outcome:
    from hvgui.remoting.operations.perform import Outcome  # perform imports this module

    if isinstance(operation, KvpEditOperation):
        targets = (operation.target,)
        host_only = operation.host_only
    else:
        targets = operation.targets
        host_only = False
    report = await apply_actions(
        api.connection,
        [t.vm_id for t in targets],
        operation.actions,
        names={t.vm_id: t.vm_name for t in targets},
        host_only=host_only,
        timeout=timeout,
        on_progress=on_progress,
    )
    if isinstance(operation, KvpEditOperation):
        failed = report.failed
        if failed:
            raise HostCommandError(failed[0].error or f"The host refused the change (code {failed[0].code}).")
        return Outcome((), report)
    warnings = tuple(f"'{r.vm_name}': {r.error or f'code {r.code}'}" for r in report.failed)
    return Outcome(warnings, report)
