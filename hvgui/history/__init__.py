"""The heartbeat history: every heartbeat and state transition of every VM, kept in SQLite with retention.

This package imports only `hvgui.domain` and the standard library: it knows nothing of Qt nor of hosts. The
UI feeds it through `HeartbeatRecorder` and reads it through `HistoryReader`, both off the Qt thread where it
matters (the store's writer thread, a reader thread of the UI).
"""

from hvgui.history.alerts import Alert, AlertBatcher, AlertKind, alert_for
from hvgui.history.lanes import LaneStatus, Segment, flapping_threshold, lane_status, segments
from hvgui.history.queries import HistoryReader, Lane, SnapshotRow, VmRow
from hvgui.history.recorder import HeartbeatRecorder
from hvgui.history.records import EventKind, KvpRecord, Transition
from hvgui.history.seed import seed_history
from hvgui.history.store import DEFAULT_RETENTION_DAYS, HistoryStore, StoreStatus

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "Alert",
    "AlertBatcher",
    "AlertKind",
    "EventKind",
    "HeartbeatRecorder",
    "HistoryReader",
    "HistoryStore",
    "KvpRecord",
    "Lane",
    "LaneStatus",
    "Segment",
    "SnapshotRow",
    "StoreStatus",
    "Transition",
    "VmRow",
    "alert_for",
    "flapping_threshold",
    "lane_status",
    "seed_history",
    "segments",
]
