"""How a bulk change's operation record becomes the row the bulk dialog shows."""

from __future__ import annotations

from hvgui.domain.bulk import PlannedChange, ResultKind
from hvgui.domain.errors import ConnectionFailed, HostCommandError
from hvgui.domain.operations import OperationRecord, OperationState, ServiceToggleOperation, VmTarget
from hvgui.domain.vm import VmKey
from hvgui.ui.bulk.controller import change_result

VM_ID = "00000000-0000-0000-0000-000000000001"
CHANGE = PlannedChange(VmKey("http://hv01:5985", VM_ID), "dc01", "GUID", "Time Synchronization", False)
RECORD = OperationRecord(
    ServiceToggleOperation(VmTarget("http://hv01:5985", "hv01", VM_ID, "dc01"), ic_guid="GUID", enable=False)
)


def test_done_failed_and_unconfirmed() -> None:
    done = change_result(CHANGE, RECORD.advanced(state=OperationState.Succeeded, warnings=("slow guest",)))
    assert done.kind is ResultKind.Done and done.warnings == ("slow guest",)
    refused = HostCommandError("Hyper-V was unable to find the virtual machine.")
    failed = change_result(CHANGE, RECORD.advanced(state=OperationState.Failed, error=refused, message=str(refused)))
    assert failed.kind is ResultKind.Failed
    assert failed.message == f"Disable Time Synchronization on 'dc01' failed: {refused}"
    dropped = ConnectionFailed("The connection dropped.")
    unknown = change_result(CHANGE, RECORD.advanced(state=OperationState.Failed, error=dropped, message=str(dropped)))
    assert unknown.kind is ResultKind.Unknown and "cannot tell whether it was made" in unknown.message


def test_a_cancelled_change_says_whether_it_was_sent() -> None:
    queued = change_result(CHANGE, RECORD.advanced(state=OperationState.Cancelled))
    assert queued.kind is ResultKind.NotAttempted
    assert queued.message.endswith("'dc01' was not attempted: it was cancelled before it was sent.")
    running = RECORD.advanced(state=OperationState.Cancelled, started_at=1.0, message="hvgui stopped waiting.")
    sent = change_result(CHANGE, running)
    assert sent.kind is ResultKind.Unknown
    assert sent.message == (
        "Disable Time Synchronization on 'dc01': hvgui stopped waiting. hvgui cannot tell whether the change was made."
    )
