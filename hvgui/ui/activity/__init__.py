"""The Activity panel: every operation hvgui runs on any host, queued, running and finished."""

from hvgui.ui.activity.dock import ACTIVITY_SHORTCUT, ActivityDock, OperationSource
from hvgui.ui.activity.model import ActivityColumn, ActivityModel, RecordRole

__all__ = [
    "ACTIVITY_SHORTCUT",
    "ActivityColumn",
    "ActivityDock",
    "ActivityModel",
    "OperationSource",
    "RecordRole",
]
