"""From rows to a strip: what one VM looked like over a window, as segments of a few kinds.

A strip must read without colour, so the kinds are few (each gets a colour and a pattern in the UI) and
follow the table's heartbeat rule (`hvgui.domain.heartbeat`): a VM that is not running has no heartbeat,
whatever the host sends.

Flapping: a VM is flapping when its transitions in the window reach `flapping_threshold(window)`, i.e. at
least 4, and on average at least one per hour of the window (4 in 1 h, 24 in 24 h, 168 in 7 days). A guest
that loses and regains its heartbeat twice in an hour is flapping; a VM that was restarted once a day is not.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

from hvgui.domain.heartbeat import HeartbeatTone, heartbeat_indicator
from hvgui.domain.vm import HeartbeatStatus, VmState

#: The fewest transitions that make a VM flapping in any window.
FLAPPING_MINIMUM = 4
#: ...and the rate it needs over longer windows: one transition per this many seconds on average.
FLAPPING_SECONDS_PER_TRANSITION = 3600.0


class LaneStatus(enum.IntEnum):
    """What a strip shows for a span of time."""

    Unknown = 0  # no row says: before the history starts, or the VM is gone
    Off = 1  # not running (off, saved): no heartbeat to judge
    Ok = 2  # the guest answers
    Warning = 3  # no contact yet, or applications critical
    Lost = 4  # lost communication or error
    Neutral = 5  # running, but nothing to judge: paused, disabled, unknown

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    LaneStatus.Unknown: "No data",
    LaneStatus.Off: "Not running",
    LaneStatus.Ok: "Heartbeat OK",
    LaneStatus.Warning: "No contact / critical",
    LaneStatus.Lost: "Lost / error",
    LaneStatus.Neutral: "Paused / disabled",
}

_BY_TONE = {
    HeartbeatTone.Good: LaneStatus.Ok,
    HeartbeatTone.Warning: LaneStatus.Warning,
    HeartbeatTone.Bad: LaneStatus.Lost,
    HeartbeatTone.Neutral: LaneStatus.Neutral,
}


def lane_status(state: VmState | None, heartbeat: HeartbeatStatus | None) -> LaneStatus:
    if state is None:
        # A row of an old file that knew only the heartbeat: judge the heartbeat alone.
        if heartbeat is None:
            return LaneStatus.Unknown
        return _BY_TONE[heartbeat_indicator(VmState.Running, heartbeat).tone]
    if not state.is_running:
        return LaneStatus.Off
    if heartbeat is None:
        return LaneStatus.Neutral
    return _BY_TONE[heartbeat_indicator(state, heartbeat).tone]


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    status: LaneStatus


def segments(
    t0: float,
    t1: float,
    start: tuple[VmState | None, HeartbeatStatus | None] | None,
    changes: Sequence[tuple[float, VmState | None, HeartbeatStatus | None]],
) -> list[Segment]:
    """The strip of [t0, t1] as consecutive segments (neighbours of one status merged)."""
    out: list[Segment] = []
    current = LaneStatus.Unknown if start is None else lane_status(*start)
    since = t0
    for at, state, heartbeat in changes:
        at = min(max(at, t0), t1)
        status = lane_status(state, heartbeat)
        if status == current:
            continue
        if at > since:
            out.append(Segment(since, at, current))
        current, since = status, at
    if t1 > since:
        out.append(Segment(since, t1, current))
    return out


def flapping_threshold(window_seconds: float) -> int:
    """Transitions in a window of this length that make a VM flapping (see the module docstring)."""
    return max(FLAPPING_MINIMUM, math.ceil(window_seconds / FLAPPING_SECONDS_PER_TRANSITION))
