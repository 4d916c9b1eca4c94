"""`OperationsConfig`: the work lane's limit, the deadlines, and how long hvgui watches and merges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hvgui.domain.operations import DEFAULT_DEADLINES


@dataclass(frozen=True)
class OperationsConfig:
    """How a host's work lane behaves (one value for every host of a `SessionManager`)."""

    #: Operations running at once on one host; the rest wait in the queue.
    limit: int = 4
    #: Seconds per operation kind before "still running on the host" (see `Operation.deadline`).
    deadlines: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_DEADLINES))
    #: Seconds hvgui keeps waiting for a job (pipeline and watching together) before it gives up watching.
    watch_limit: float = 1800.0
    #: Seconds an operation waits for the merged refresh after its pipeline before it concludes anyway.
    confirm_wait: float = 15.0
    #: The merge window: a finished operation waits for the refresh schedule, and the runner asks for an
    #: inventory (one request for every operation waiting then) only when none arrived for two windows.
    #: None: the session's refresh interval, at most 2 s.
    merge_window: float | None = None
