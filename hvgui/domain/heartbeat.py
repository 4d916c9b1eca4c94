"""How a VM's heartbeat reads at a glance: a tone (the colour family) and the text beside it.

The rule lives here, free of Qt, so the table, the VM panel and any later timeline agree on it and it can
be tested without a display.
"""

from __future__ import annotations

import enum
import time
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


class IndicatorShape(enum.Enum):
    """The shape painted beside the text, so the cell reads without colour (and in greyscale prints)."""

    Dot = "dot"  # a filled circle: the guest answers
    Triangle = "triangle"  # the guest answers badly
    Ring = "ring"  # an empty circle: no answer yet, or nothing known
    Cross = "cross"  # the guest stopped answering, or an error
    Pause = "pause"  # two bars: the VM is paused
    Bar = "bar"  # a horizontal bar: the heartbeat service is switched off
    Blank = "blank"  # nothing: the VM does not run


class HeartbeatHealth(enum.Enum):
    """The groups the status bar counts ("3 lost"), worst first."""

    Lost = "lost"  # the guest stopped answering, or an error
    Attention = "attention"  # not answered since boot, or applications critical
    Ok = "OK"  # the guest answers
    Other = "other"  # nothing to judge: the VM is off, paused, or its heartbeat is switched off or unknown


@dataclass(frozen=True)
class HeartbeatIndicator:
    """What a view paints for one VM's heartbeat: colour family, text, shape, what it means, its group."""

    tone: HeartbeatTone
    text: str
    shape: IndicatorShape = IndicatorShape.Dot
    meaning: str = ""
    health: HeartbeatHealth = HeartbeatHealth.Other


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

#: Text, shape, meaning and group of each reported value (running VMs). Hyper-V Manager's words where they
#: read well; "Disabled" instead of its "Unavailable", which does not say that the service is switched off.
_RUNNING: dict[HeartbeatStatus, tuple[str, IndicatorShape, str, HeartbeatHealth]] = {
    HeartbeatStatus.OkApplicationsHealthy: (
        "OK (Applications Healthy)",
        IndicatorShape.Dot,
        "The guest answers the host's heartbeat and reports its applications healthy.",
        HeartbeatHealth.Ok,
    ),
    HeartbeatStatus.OkApplicationsUnknown: (
        "OK (No Application Data)",
        IndicatorShape.Dot,
        "The guest answers the host's heartbeat; it reports no application health (Linux guests never do).",
        HeartbeatHealth.Ok,
    ),
    HeartbeatStatus.OkApplicationsCritical: (
        "OK (Applications Critical)",
        IndicatorShape.Triangle,
        "The guest answers the host's heartbeat but reports an application in a critical state.",
        HeartbeatHealth.Attention,
    ),
    HeartbeatStatus.NoContact: (
        "No contact",
        IndicatorShape.Ring,
        "The guest has not answered the heartbeat since the VM started: it may still be booting, or it has no "
        "integration services running.",
        HeartbeatHealth.Attention,
    ),
    HeartbeatStatus.LostCommunication: (
        "Lost communication",
        IndicatorShape.Cross,
        "The guest answered the heartbeat before and then stopped: it may hang or have crashed, or its "
        "heartbeat service stopped.",
        HeartbeatHealth.Lost,
    ),
    HeartbeatStatus.Error: (
        "Error",
        IndicatorShape.Cross,
        "The host reports an error from the VM's heartbeat component.",
        HeartbeatHealth.Lost,
    ),
    HeartbeatStatus.Disabled: (
        "Disabled",
        IndicatorShape.Bar,
        "The Heartbeat integration service is disabled for this VM, so the host does not ask the guest.",
        HeartbeatHealth.Other,
    ),
    HeartbeatStatus.Paused: (
        "Paused",
        IndicatorShape.Pause,
        "The VM is paused, so its guest cannot answer.",
        HeartbeatHealth.Other,
    ),
    HeartbeatStatus.Unknown: (
        "Unknown",
        IndicatorShape.Ring,
        "The host reports no heartbeat status for this running VM.",
        HeartbeatHealth.Other,
    ),
}


def heartbeat_tone(heartbeat: HeartbeatStatus | None) -> HeartbeatTone:
    """The colour family of a reported heartbeat; `None` (the host reports none) is neutral."""
    if heartbeat is None:
        return HeartbeatTone.Neutral
    return _TONES[heartbeat]


def heartbeat_indicator(state: VmState, heartbeat: HeartbeatStatus | None) -> HeartbeatIndicator:
    """What the heartbeat cell of a VM shows.

    A VM that does not run says so ("VM off", "VM saved"), whatever the host sends: its guest cannot beat,
    and the host's value (None when Off, Unknown when Saved) carries no news. A running VM for which the
    host reports nothing shows a dash.
    """
    if not state.is_running:
        text, meaning = _not_running(state)
        return HeartbeatIndicator(HeartbeatTone.Neutral, text, IndicatorShape.Blank, meaning)
    if heartbeat is None:
        return HeartbeatIndicator(
            HeartbeatTone.Neutral, NO_HEARTBEAT_TEXT, IndicatorShape.Blank, "The host reports no heartbeat."
        )
    text, shape, meaning, health = _RUNNING[heartbeat]
    return HeartbeatIndicator(heartbeat_tone(heartbeat), text, shape, meaning, health)


def _not_running(state: VmState) -> tuple[str, str]:
    if state in (VmState.Saved, VmState.SavedCritical, VmState.FastSaved, VmState.FastSavedCritical):
        return "VM saved", "The VM is saved: no guest runs to answer the heartbeat."
    if state is VmState.Hibernated:
        return "VM hibernated", "The VM is hibernated: no guest runs to answer the heartbeat."
    return "VM off", "The VM is off: no guest runs to answer the heartbeat."


def since_text(when: float, now: float, *, at_least: bool) -> str:
    """ "Since 14:03" (with the date when it was not today); "Since at least 14:03" when the value was first
    seen then and may be older (it was already so when the host connected). Times are local."""
    moment = time.localtime(when)
    same_day = time.localtime(now)[:3] == moment[:3]
    stamp = time.strftime("%H:%M" if same_day else "%Y-%m-%d %H:%M", moment)
    return f"Since at least {stamp} (already so when hvgui connected)" if at_least else f"Since {stamp}"
