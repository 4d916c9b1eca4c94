"""The heartbeat colour rule: what a person should read from a heartbeat at a glance."""

from __future__ import annotations

import pytest

from hvgui.domain.heartbeat import (
    NO_HEARTBEAT_TEXT,
    HeartbeatIndicator,
    HeartbeatTone,
    heartbeat_indicator,
    heartbeat_tone,
)
from hvgui.domain.vm import HeartbeatStatus, VmState


@pytest.mark.parametrize(
    ("status", "tone"),
    [
        (HeartbeatStatus.OkApplicationsHealthy, HeartbeatTone.Good),
        (HeartbeatStatus.OkApplicationsUnknown, HeartbeatTone.Good),
        (HeartbeatStatus.OkApplicationsCritical, HeartbeatTone.Warning),
        (HeartbeatStatus.NoContact, HeartbeatTone.Warning),
        (HeartbeatStatus.LostCommunication, HeartbeatTone.Bad),
        (HeartbeatStatus.Error, HeartbeatTone.Bad),
        (HeartbeatStatus.Disabled, HeartbeatTone.Neutral),
        (HeartbeatStatus.Unknown, HeartbeatTone.Neutral),
        (HeartbeatStatus.Paused, HeartbeatTone.Neutral),
        (None, HeartbeatTone.Neutral),
    ],
)
def test_tone_of_each_status(status: HeartbeatStatus | None, tone: HeartbeatTone) -> None:
    assert heartbeat_tone(status) == tone


def test_every_status_has_a_tone() -> None:
    for status in HeartbeatStatus:
        assert isinstance(heartbeat_tone(status), HeartbeatTone)


def test_running_vm_shows_the_hyperv_manager_text() -> None:
    assert heartbeat_indicator(VmState.Running, HeartbeatStatus.OkApplicationsHealthy) == HeartbeatIndicator(
        HeartbeatTone.Good, "OK (Applications Healthy)"
    )


@pytest.mark.parametrize("state", [VmState.Off, VmState.OffCritical])
def test_off_vm_shows_a_dash_even_with_a_stale_value(state: VmState) -> None:
    assert heartbeat_indicator(state, HeartbeatStatus.OkApplicationsHealthy) == HeartbeatIndicator(
        HeartbeatTone.Neutral, NO_HEARTBEAT_TEXT
    )


def test_no_heartbeat_reported_shows_a_dash() -> None:
    assert heartbeat_indicator(VmState.Running, None).text == NO_HEARTBEAT_TEXT


@pytest.mark.parametrize("state", [VmState.Saved, VmState.FastSaved, VmState.Hibernated])
def test_a_saved_vm_shows_a_dash_not_the_hosts_unknown(state: VmState) -> None:
    assert heartbeat_indicator(state, HeartbeatStatus.Unknown).text == NO_HEARTBEAT_TEXT


def test_a_paused_vm_says_paused() -> None:
    assert heartbeat_indicator(VmState.Paused, HeartbeatStatus.Paused) == HeartbeatIndicator(
        HeartbeatTone.Neutral, "Paused"
    )


def test_bad_sorts_above_good() -> None:
    assert HeartbeatTone.Bad > HeartbeatTone.Warning > HeartbeatTone.Good > HeartbeatTone.Neutral
