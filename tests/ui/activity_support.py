"""A stand-in for the window's `VmActionsController` as the Activity dock sees it, and records to feed it.

The stand-in has the controller's names (`operation_changed`, `records()`, `cancel_operation()`,
`retry_operation()`, `discard_staged()`) and nothing else; the records are real `OperationRecord`s of real
typed operations.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from hvgui.domain.operations import OperationRecord, PowerOperation, VmTarget
from hvgui.domain.power import PowerAction


class OperationFeed(QObject):
    operation_changed = Signal(object)

    def __init__(self, records: list[OperationRecord] | None = None) -> None:
        super().__init__()
        self._records: dict[int, OperationRecord] = {r.op_id: r for r in records or []}
        self.cancelled: list[int] = []
        self.retried: list[int] = []
        self.discarded: list[int] = []

    def records(self) -> list[OperationRecord]:
        return list(self._records.values())

    def cancel_operation(self, op_id: int) -> None:
        self.cancelled.append(op_id)

    def retry_operation(self, op_id: int) -> None:
        self.retried.append(op_id)

    def discard_staged(self, op_id: int) -> None:
        self.discarded.append(op_id)

    def publish(self, record: OperationRecord) -> OperationRecord:
        self._records[record.op_id] = record
        self.operation_changed.emit(record)
        return record


def target(vm_name: str = "web01", host: str = "https://hv01:5986", computer_name: str = "hv01", n: int = 1):
    return VmTarget(host, computer_name, f"11111111-2222-4333-8444-{n:012x}", vm_name)


def shutdown_record(vm_name: str = "web01", n: int = 1, **changes) -> OperationRecord:
    record = OperationRecord(PowerOperation(target(vm_name, n=n), PowerAction.ShutDown), queued_at=1000.0)
    return record.advanced(**changes) if changes else record
