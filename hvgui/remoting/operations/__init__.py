"""One command path per host: typed operations on a work lane, with a queue, deadlines, progress and merged
refreshes (see `runner`)."""

from __future__ import annotations

from hvgui.remoting.operations.config import OperationsConfig
from hvgui.remoting.operations.lane import WorkLane
from hvgui.remoting.operations.perform import Outcome, perform
from hvgui.remoting.operations.runner import InventorySource, OperationHandle, OperationRunner, RecordListener

__all__ = [
    "InventorySource",
    "OperationHandle",
    "OperationRunner",
    "OperationsConfig",
    "Outcome",
    "RecordListener",
    "WorkLane",
    "perform",
]
