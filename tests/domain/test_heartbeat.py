"""The heartbeat colour rule: what a person should read from a heartbeat at a glance."""

from __future__ import annotations

import time

import pytest

from hvgui.domain.heartbeat import (
    NO_HEARTBEAT_TEXT,
    HeartbeatHealth,
    HeartbeatTone,
    IndicatorShape,
    heartbeat_indicator,
    heartbeat_tone,
    since_text,
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
    indicator = heartbeat_indicator(VmState.Running, HeartbeatStatus.OkApplicationsHealthy)
    assert (indicator.tone, indicator.text, indicator.shape, indicator.health) == (
        HeartbeatTone.Good,
        "OK (Applications Healthy)",
        IndicatorShape.Dot,
        HeartbeatHealth.Ok,
    )


# Each value reads without colour: its own words, and a shape shared only with values of the same meaning.
S, H, B = HeartbeatStatus, HeartbeatHealth, IndicatorShape


@pytest.mark.parametrize(
    ("status", "text", "shape", "health", "meaning_word"),
    [
        (S.OkApplicationsHealthy, "OK (Applications Healthy)", B.Dot, H.Ok, "healthy"),
        (S.OkApplicationsUnknown, "OK (No Application Data)", B.Dot, H.Ok, "Linux"),
        (S.OkApplicationsCritical, "OK (Applications Critical)", B.Triangle, H.Attention, "critical"),
        (S.NoContact, "No contact", B.Ring, H.Attention, "since the VM started"),
        (S.LostCommunication, "Lost communication", B.Cross, H.Lost, "stopped"),
        (S.Error, "Error", B.Cross, H.Lost, "error"),
        (S.Disabled, "Disabled", B.Bar, H.Other, "disabled"),
        (S.Paused, "Paused", B.Pause, H.Other, "paused"),
        (S.Unknown, "Unknown", B.Ring, H.Other, "no heartbeat status"),
    ],
)
def test_every_reported_value_has_words_a_shape_a_meaning_and_a_group(
    status: HeartbeatStatus, text: str, shape: IndicatorShape, health: HeartbeatHealth, meaning_word: str
) -> None:
    state = VmState.Paused if status is HeartbeatStatus.Paused else VmState.Running
    indicator = heartbeat_indicator(state, status)
    assert (indicator.text, indicator.shape, indicator.health) == (text, shape, health)
    assert meaning_word in indicator.meaning


def test_every_status_is_covered() -> None:
    for status in HeartbeatStatus:
        assert heartbeat_indicator(VmState.Running, status).meaning


def test_disabled_says_disabled_not_hyperv_managers_unavailable() -> None:
    assert HeartbeatStatus.Disabled.label == "Unavailable"
    assert heartbeat_indicator(VmState.Running, HeartbeatStatus.Disabled).text == "Disabled"


@pytest.mark.parametrize("state", [VmState.Off, VmState.OffCritical])
def test_off_vm_says_so_even_with_a_stale_value(state: VmState) -> None:
    indicator = heartbeat_indicator(state, HeartbeatStatus.OkApplicationsHealthy)
    assert (indicator.tone, indicator.text, indicator.shape, indicator.health) == (
        HeartbeatTone.Neutral,
        "VM off",
        IndicatorShape.Blank,
        HeartbeatHealth.Other,
    )
    assert "off" in indicator.meaning


def test_no_heartbeat_reported_shows_a_dash() -> None:
    assert heartbeat_indicator(VmState.Running, None).text == NO_HEARTBEAT_TEXT


@pytest.mark.parametrize(
    ("state", "text"),
    [(VmState.Saved, "VM saved"), (VmState.FastSaved, "VM saved"), (VmState.Hibernated, "VM hibernated")],
)
def test_a_saved_vm_says_so_not_the_hosts_unknown(state: VmState, text: str) -> None:
    assert heartbeat_indicator(state, HeartbeatStatus.Unknown).text == text


def test_a_paused_vm_says_paused() -> None:
    indicator = heartbeat_indicator(VmState.Paused, HeartbeatStatus.Paused)
    assert (indicator.tone, indicator.text, indicator.shape) == (HeartbeatTone.Neutral, "Paused", IndicatorShape.Pause)


def test_since_says_at_least_when_the_value_was_already_so_at_connect() -> None:
    now = time.mktime((2026, 3, 4, 15, 30, 0, 0, 0, -1))
    when = time.mktime((2026, 3, 4, 14, 3, 0, 0, 0, -1))
    assert since_text(when, now, at_least=False) == "Since 14:03"
    assert since_text(when, now, at_least=True).startswith("Since at least 14:03")
    yesterday = time.mktime((2026, 3, 3, 23, 59, 0, 0, 0, -1))
    assert since_text(yesterday, now, at_least=False) == "Since 2026-03-03 23:59"


def test_bad_sorts_above_good() -> None:
    assert HeartbeatTone.Bad > HeartbeatTone.Warning > HeartbeatTone.Good > HeartbeatTone.Neutral
