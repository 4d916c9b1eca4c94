"""`InventoryDeadline`: how long one host's inventory may take, learnt from how long it has taken.

A host with a thousand VMs, or one whose WMI provider is busy, can need far more than the few seconds a small
host needs; a fixed deadline would time such a host out on every refresh, for ever. So each session starts
from a base, and after each inventory that arrived allows `factor` times its duration (never less than the
base); after an inventory that timed out it allows `growth` times the last deadline, so a time-out is never
retried at the same deadline. Both are capped, so a dead host is still reported within minutes; at the cap,
the session's backoff still spaces the attempts out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Seconds the first inventory of a host may take: a host of a few hundred VMs answers well within it.
BASE = 30.0
#: A host is allowed this many times its last inventory's duration (its load varies from refresh to refresh).
FACTOR = 3.0
#: After a time-out, the next attempt may take this many times as long.
GROWTH = 2.0
#: No inventory is waited for longer than this, in seconds.
CAP = 300.0


@dataclass
class InventoryDeadline:
    """The deadline of a host's next inventory: `current`; `succeeded` and `timed_out` adjust it."""

    base: float = BASE
    cap: float = CAP
    factor: float = FACTOR
    growth: float = GROWTH
    current: float = field(init=False)

    def __post_init__(self) -> None:
        if not 0 < self.base <= self.cap or self.factor < 1 or self.growth <= 1:
            raise ValueError("need 0 < base <= cap, factor >= 1 and growth > 1")
        self.current = self.base

    def succeeded(self, duration: float) -> float:
        """An inventory arrived after `duration` seconds; returns the next deadline."""
        self.current = min(self.cap, max(self.base, self.factor * duration))
        return self.current

    def timed_out(self) -> float:
        """An inventory ran out of its deadline; returns the longer deadline of the next attempt."""
        self.current = min(self.cap, self.current * self.growth)
        return self.current
