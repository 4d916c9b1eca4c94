"""Talking to Hyper-V hosts over WinRM/PSRP (pypsrp), without ever blocking the asyncio loop.

- `SessionManager` / `HostSession` / `SessionListener`: many hosts, refreshed and reconnected on their own.
- `InventoryDeadline`: how long a host's inventory may take, learnt from that host.
- `HostApi`: typed calls on one host; `HostConnection`: its worker thread and runspace pool.
- `OperationRunner` (`HostSession.operations`): the one path for changes: `submit(operation)` runs a typed
  operation on the host's work lane (queue, concurrency limit, deadlines, progress), then a merged refresh.
- `RefreshConfig`: live updates (the host's change watcher, `watcher`) or polling, and their intervals.
- `PipelineSpec`: the only way to build a pipeline (values travel as parameters, never as script text).
"""

from __future__ import annotations

from hvgui.remoting.backoff import Backoff
from hvgui.remoting.connection import HostConnection, PipelineResult
from hvgui.remoting.hostapi import HostApi
from hvgui.remoting.inventory_deadline import InventoryDeadline
from hvgui.remoting.operations import OperationHandle, OperationRunner, OperationsConfig
from hvgui.remoting.parse import InventoryReport, VmHostInfo
from hvgui.remoting.pipeline import PipelineSpec
from hvgui.remoting.session_manager import HostSession, SessionListener, SessionManager
from hvgui.remoting.watcher import RefreshConfig

__all__ = [
    "Backoff",
    "HostApi",
    "HostConnection",
    "HostSession",
    "InventoryDeadline",
    "InventoryReport",
    "OperationHandle",
    "OperationRunner",
    "OperationsConfig",
    "PipelineResult",
    "PipelineSpec",
    "RefreshConfig",
    "SessionListener",
    "SessionManager",
    "VmHostInfo",
]
