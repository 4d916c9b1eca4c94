"""How a VM's heartbeat reads at a glance: a tone (the colour family) and the text beside it.

The rule lives here, free of Qt, so the table, the VM panel and any later timeline agree on it and it can
be tested without a display.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hvgui.domain.vm import HeartbeatStatus, VmState

#: Shown instead of a heartbeat when the host reports none (the VM is off, saved or otherwise not running).
NO_HEARTBEAT_TEXT = "\u2014"


class HeartbeatTone(enum.IntEnum):
    """Severity families, ordered so that sorting by tone puts the worst first when descending."""

    Neutral = 0  # nothing to judge: off, disabled, unknown, paused
    Good = 1  # the guest answers
    Warning = 2  # the guest answers badly, or has not answered yet
    Bad = 3  # the guest stopped answering or reported an error


@dataclass(frozen=True)
class HeartbeatIndicator:
    """What a view paints for one VM's heartbeat."""

    tone: HeartbeatTone
    text: str


_TONES = {
    HeartbeatStatus.OkApplicationsHealthy: HeartbeatTone.Good,
    HeartbeatStatus.OkApplicationsUnknown: HeartbeatTone.Good,
    # The guest is up but says its applications are in trouble.
    HeartbeatStatus.OkApplicationsCritical: HeartbeatTone.Warning,
    # No contact yet: normal while a guest boots, a problem if it lasts (integration services missing).
    HeartbeatStatus.NoContact: HeartbeatTone.Warning,
    HeartbeatStatus.LostCommunication: HeartbeatTone.Bad,
    HeartbeatStatus.Error: HeartbeatTone.Bad,
    HeartbeatStatus.Disabled: HeartbeatTone.Neutral,
    HeartbeatStatus.Unknown: HeartbeatTone.Neutral,
    HeartbeatStatus.Paused: HeartbeatTone.Neutral,
}


def heartbeat_tone(heartbeat: HeartbeatStatus | None) -> HeartbeatTone:
    """The colour family of a reported heartbeat; `None` (the host reports none) is neutral."""
    if heartbeat is None:
        return HeartbeatTone.Neutral
    return _TONES[heartbeat]


def heartbeat_indicator(state: VmState, heartbeat: HeartbeatStatus | None) -> HeartbeatIndicator:
    """Tone and text for a VM: a VM that is not running shows a dash, whatever the host sends.

    Its guest cannot beat, so the host's value (None when Off, Unknown when Saved) carries no news.
    """
    if heartbeat is None or not state.is_running:
        return HeartbeatIndicator(HeartbeatTone.Neutral, NO_HEARTBEAT_TEXT)
    return HeartbeatIndicator(heartbeat_tone(heartbeat), heartbeat.label)
