"""The guest's wall clock, as an offset from the host's clock that is a pure function of model time.

No host property reports the offset (hyperv-api.md §8); it exists so the model can show what disabling Time
Synchronization does: the guest clock drifts at the guest's own rate, and once the service is enabled again
(and the guest's time service answers) it converges back to the host's time.

The clock is piecewise: each mode starts at a moment (`since`) with the offset it had then, so reading it
never changes it and every reader sees the same value for the same `now`.

plausible WS2022 behaviour (not in the reference, chosen from how W32Time and the Hyper-V time provider work):
* a synchronised guest slews its clock towards the host's, the error shrinking exponentially
  (`SLEW_TIME_CONSTANT`); an offset of `STEP_THRESHOLD` seconds or more is stepped at once instead;
* a booting guest reads the virtual RTC, which holds the host's time, so a fresh boot starts in step;
* a saved or paused guest's clock stands still, so it falls behind by the time it spent saved or paused.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

#: Seconds after which a slewing guest clock has closed all but 1/e of its error.
SLEW_TIME_CONSTANT = 60.0
#: An error this large (seconds) is stepped, not slewed, once the time service answers.
STEP_THRESHOLD = 5.0


class ClockMode(enum.Enum):
    STOPPED = "stopped"  # the VM is off: no guest clock (the RTC follows the host)
    FROZEN = "frozen"  # saved or paused: the guest clock stands still
    FREE = "free"  # running without time synchronisation: it drifts
    SYNCED = "synced"  # running with time synchronisation: it converges to the host's time


@dataclass
class GuestClock:
    """The guest clock of one VM. `drift_ppm` is how fast it runs off when nothing keeps it in step."""

    drift_ppm: float = 0.0
    mode: ClockMode = ClockMode.STOPPED
    base_offset: float = 0.0  # seconds ahead of the host at `since`
    since: float = 0.0
    sync_from: float = 0.0  # SYNCED: model time from which the guest's time service takes samples

    def offset_at(self, now: float) -> float:
        """Seconds the guest clock is ahead of the host clock at model time `now` (negative: behind)."""
        elapsed = max(0.0, now - self.since)
        if self.mode is ClockMode.STOPPED:
            return 0.0
        if self.mode is ClockMode.FROZEN:
            return self.base_offset - elapsed
        if self.mode is ClockMode.FREE or now <= self.sync_from:
            return self.base_offset + elapsed * self.drift_ppm / 1_000_000
        at_sync = self.base_offset + max(0.0, self.sync_from - self.since) * self.drift_ppm / 1_000_000
        if abs(at_sync) >= STEP_THRESHOLD:
            return 0.0
        return at_sync * math.exp(-(now - self.sync_from) / SLEW_TIME_CONSTANT)

    def enter(self, mode: ClockMode, now: float, *, sync_from: float | None = None, reset: bool = False) -> None:
        """Switch to `mode` at `now`, keeping the offset reached so far (or starting in step when `reset`)."""
        sync_from = now if sync_from is None else max(now, sync_from)
        if mode is self.mode and not reset:
            already_answering = self.sync_from <= now and sync_from <= now
            if mode is not ClockMode.SYNCED or already_answering or sync_from == self.sync_from:
                return
        offset = 0.0 if reset else self.offset_at(now)
        self.mode, self.base_offset, self.since, self.sync_from = mode, offset, now, sync_from

    def start_at(self, mode: ClockMode, now: float, offset: float, *, sync_from: float | None = None) -> None:
        """A clock as a scenario describes it: `offset` seconds ahead at `now`."""
        self.mode, self.base_offset, self.since = mode, offset, now
        self.sync_from = now if sync_from is None else sync_from
