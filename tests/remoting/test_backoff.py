"""The retry schedule: 1 s doubling to 30 s, and back to 1 s after a success."""

from __future__ import annotations

import pytest

from hvgui.remoting.backoff import Backoff


def test_default_schedule_doubles_from_one_second_to_thirty() -> None:
    backoff = Backoff()
    assert [backoff.next_delay() for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert backoff.failures == 8


def test_reset_starts_over() -> None:
    backoff = Backoff()
    backoff.next_delay()
    backoff.next_delay()
    backoff.reset()
    assert backoff.failures == 0
    assert backoff.next_delay() == 1


def test_a_host_down_for_days_does_not_overflow() -> None:
    backoff = Backoff()
    for _ in range(5000):
        delay = backoff.next_delay()
    assert delay == 30


def test_custom_schedule() -> None:
    backoff = Backoff(initial=0.1, maximum=0.35, factor=3)
    assert [round(backoff.next_delay(), 6) for _ in range(4)] == [0.1, 0.3, 0.35, 0.35]


@pytest.mark.parametrize(("initial", "maximum", "factor"), [(0, 1, 2), (2, 1, 2), (1, 2, 0.5)])
def test_nonsense_schedules_are_refused(initial: float, maximum: float, factor: float) -> None:
    with pytest.raises(ValueError):
        Backoff(initial=initial, maximum=maximum, factor=factor)
