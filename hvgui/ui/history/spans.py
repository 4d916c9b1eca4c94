"""The windows a strip shows (last hour, day, week) and how their times are written."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    label: str
    seconds: float
    tick: float  # seconds between two axis ticks
    tick_format: str  # strftime for a tick


SPANS = (
    Span("1 h", 3600.0, 600.0, "%H:%M"),
    Span("24 h", 86400.0, 4 * 3600.0, "%H:%M"),
    Span("7 d", 7 * 86400.0, 86400.0, "%a %d"),
)


def row_time(at: float) -> str:
    """A row's time in the transition list and the CSV export: local, to the second."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def ticks(t0: float, t1: float, span: Span) -> list[float]:
    """Tick times in [t0, t1], on round local times (whole hours, midnights)."""
    offset = time.localtime(t0).tm_gmtoff
    first = ((t0 + offset) // span.tick + 1) * span.tick - offset
    out = []
    at = first
    while at <= t1:
        out.append(at)
        at += span.tick
    return out
