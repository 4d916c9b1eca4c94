"""Strips from rows: segment kinds follow the table's heartbeat rule; the flapping threshold."""

from __future__ import annotations

from hvgui.domain.vm import HeartbeatStatus, VmState
from hvgui.history import LaneStatus, Segment, flapping_threshold, lane_status, segments

OK = HeartbeatStatus.OkApplicationsHealthy
LOST = HeartbeatStatus.LostCommunication


def test_lane_status_follows_the_heartbeat_rule() -> None:
    assert lane_status(VmState.Running, OK) == LaneStatus.Ok
    assert lane_status(VmState.Running, LOST) == LaneStatus.Lost
    assert lane_status(VmState.Running, HeartbeatStatus.NoContact) == LaneStatus.Warning
    assert lane_status(VmState.Running, HeartbeatStatus.Disabled) == LaneStatus.Neutral
    assert lane_status(VmState.Off, None) == LaneStatus.Off
    assert lane_status(VmState.Saved, HeartbeatStatus.Unknown) == LaneStatus.Off
    assert lane_status(None, None) == LaneStatus.Unknown


def test_segments_merge_equal_neighbours_and_clip_to_the_window() -> None:
    changes = [
        (50.0, VmState.Running, LOST),
        (120.0, VmState.Running, HeartbeatStatus.Error),  # still "lost": merged
        (150.0, VmState.Running, OK),
        (250.0, VmState.Off, None),  # after the window
    ]
    assert segments(100.0, 200.0, (VmState.Running, OK), changes) == [
        Segment(100.0, 150.0, LaneStatus.Lost),
        Segment(150.0, 200.0, LaneStatus.Ok),
    ]
    assert segments(0.0, 10.0, None, []) == [Segment(0.0, 10.0, LaneStatus.Unknown)]


def test_flapping_threshold() -> None:
    assert flapping_threshold(3600) == 4
    assert flapping_threshold(86400) == 24
    assert flapping_threshold(7 * 86400) == 168
