"""Talking to Hyper-V hosts over WinRM/PSRP (pypsrp), without ever blocking the asyncio loop.

- `SessionManager` / `HostSession` / `SessionListener`: many hosts, refreshed and reconnected on their own.
- `HostApi`: typed calls on one host; `HostConnection`: its worker thread and runspace pool.
  `HostSession.run_action(lambda api: api.power(...))` runs a change and refreshes the host afterwards.
- `apply_plan`: a plan of integration-service changes across hosts, with a result for every change.
- `PipelineSpec`: the only way to build a pipeline (values travel as parameters, never as script text).
"""

from __future__ import annotations

from hvgui.remoting.backoff import Backoff
from hvgui.remoting.bulk_apply import apply_plan
from hvgui.remoting.connection import HostConnection, PipelineResult
from hvgui.remoting.hostapi import HostApi
from hvgui.remoting.parse import InventoryReport, VmHostInfo
from hvgui.remoting.pipeline import PipelineSpec
from hvgui.remoting.session_manager import HostSession, SessionListener, SessionManager

__all__ = [
    "Backoff",
    "HostApi",
    "HostConnection",
    "HostSession",
    "InventoryReport",
    "PipelineResult",
    "PipelineSpec",
    "SessionListener",
    "SessionManager",
    "VmHostInfo",
    "apply_plan",
]
