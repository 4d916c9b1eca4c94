"""Progress of a transfer as the Activity panel shows it: percent of all bytes, then
"12.0 of 256 MB · 41 MB/s · 6 s left" (the rate over the last few seconds)."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable

from hvgui.domain.operations import OperationProgress

MB = 1_000_000
#: Seconds of history the rate is measured over: long enough to be steady, short enough to follow changes.
RATE_WINDOW = 5.0


def megabytes(count: int) -> str:
    value = count / MB
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


class TransferMeter:
    """Counts bytes done out of a total and words the progress."""

    def __init__(self, total: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.done = 0
        self._clock = clock
        self._samples: collections.deque[tuple[float, int]] = collections.deque([(clock(), 0)])

    def add(self, count: int) -> None:
        self.done += count
        now = self._clock()
        self._samples.append((now, self.done))
        while len(self._samples) > 2 and now - self._samples[1][0] > RATE_WINDOW:
            self._samples.popleft()

    def rate(self) -> float | None:
        """Bytes per second over the last few seconds; None before there is anything to measure."""
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        if t1 - t0 <= 0 or b1 <= b0:
            return None
        return (b1 - b0) / (t1 - t0)

    def progress(self, file_note: str = "") -> OperationProgress:
        percent = 100 if self.total == 0 else min(100, int(self.done * 100 / self.total))
        parts = [f"{megabytes(self.done)} of {megabytes(self.total)} MB"]
        rate = self.rate()
        if rate is not None:
            parts.append(f"{megabytes(int(rate))} MB/s")
            if self.done < self.total:
                parts.append(f"{duration((self.total - self.done) / rate)} left")
        if file_note:
            parts.append(file_note)
        return OperationProgress(percent, " · ".join(parts))
