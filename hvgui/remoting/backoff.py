"""The retry schedule after a host fails: 1 s, 2 s, 4 s, ... capped at 30 s, back to 1 s after a success.

Doubling keeps a dead host from costing the client (and the network) much, while a host that comes back
is noticed within half a minute. A person who knows better presses "retry now" (`HostSession.retry_now`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Backoff:
    """How long to wait before the next attempt; `next_delay()` advances, `reset()` starts over."""

    initial: float = 1.0
    maximum: float = 30.0
    factor: float = 2.0
    _attempt: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.maximum < self.initial or self.factor < 1:
            raise ValueError("need 0 < initial <= maximum and factor >= 1")

    @property
    def failures(self) -> int:
        """Consecutive failures since the last success."""
        return self._attempt

    def next_delay(self) -> float:
        """The wait after one more failure."""
        # The exponent is capped so that a host down for days cannot overflow the float.
        delay = min(self.maximum, self.initial * self.factor ** min(self._attempt, 64))
        self._attempt += 1
        return delay

    def reset(self) -> None:
        self._attempt = 0
