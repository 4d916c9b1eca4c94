"""The inventory's own deadline: learnt per host, longer after a time-out, never retried at the same one.

The emulated host is a `realistic` one slowed down (a time scale below 1), so that its inventory takes a few
seconds, longer than the deadline the session starts from.
"""

from __future__ import annotations

import itertools
import re

import pytest
from remoting_support import Recorder, is_inventory, run

from hvgui.domain.connection import HostState
from hvgui.domain.errors import OperationTimedOut
from hvgui.emulator import start_emulator
from hvgui.remoting import Backoff, InventoryDeadline, SessionManager


def test_the_deadline_learns_from_arrivals_and_grows_after_each_time_out() -> None:
    deadline = InventoryDeadline(base=30, cap=300, factor=3, growth=2)
    assert deadline.current == 30
    assert deadline.succeeded(4.0) == 30  # a quick host keeps the base
    assert deadline.succeeded(40.0) == 120  # a slow one gets three times its last duration
    assert deadline.succeeded(500.0) == 300  # capped
    deadline.succeeded(1.0)
    seen = [deadline.current]
    for _ in range(5):
        seen.append(deadline.timed_out())
    assert seen == [30, 60, 120, 240, 300, 300]  # never the same deadline twice until the cap
    assert deadline.succeeded(10.0) == 30


@pytest.mark.parametrize("arguments", [{"base": 0}, {"base": 10, "cap": 5}, {"factor": 0.5}, {"growth": 1.0}], ids=str)
def test_nonsense_deadlines_are_refused(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        InventoryDeadline(**arguments)


def test_a_slow_host_times_out_at_growing_deadlines_then_loads_and_keeps_its_longer_deadline() -> None:
    # About 2 s per inventory: longer than the 1 s the session starts from.
    with start_emulator("large:50", cost_profile="realistic", time_scale=0.25) as emulator:
        endpoint = emulator.endpoints[0]

        async def body() -> None:
            manager = SessionManager(
                refresh_interval=0.2,
                backoff=lambda: Backoff(initial=0.05, maximum=0.05),
                inventory_deadline=lambda: InventoryDeadline(base=1.0, cap=16.0),
            )
            recorder = Recorder()
            manager.subscribe(recorder)
            session = manager.add_host(endpoint.connection_settings(), endpoint.password)
            assert session.inventory_deadline == 1.0
            assert session.status.loading_since is not None  # the first inventory loads from the start
            connected = await recorder.wait_for_state(session.key, HostState.Connected)
            timeouts: list[OperationTimedOut] = []  # each once (Failed, then Connecting, carry the same error)
            for status in recorder.statuses(session.key):
                if isinstance(status.error, OperationTimedOut) and not any(status.error is e for e in timeouts):
                    timeouts.append(status.error)
            assert timeouts, "the 1 s deadline should have run out at least once"
            deadlines = [float(re.search(r"within (\d+(?:\.\d+)?) s", e.message).group(1)) for e in timeouts]
            assert deadlines[0] == 1.0
            assert all(later == 2 * earlier for earlier, later in itertools.pairwise(deadlines))
            assert "the next attempt allows" in (timeouts[-1].hint or "")
            failed = [s for s in recorder.statuses(session.key) if s.state is HostState.Failed]
            assert all(s.next_retry_at is not None for s in failed)  # a time-out keeps its backoff

            assert connected.vm_count == 50 and connected.loading_since is None
            took = connected.first_load_seconds
            assert took is not None and took > 1.0
            # The host showed itself slow: its next inventories may take three times as long.
            assert session.inventory_deadline == pytest.approx(min(16.0, max(1.0, 3 * took)), rel=0.5)
            assert session.inventory_deadline > deadlines[-1]
            assert recorder.index_of(is_inventory(session.key)) >= 0
            start = len(recorder.events)
            await session.fetch_inventory()  # at the learnt deadline the refresh no longer times out
            assert not [s for s in recorder.statuses(session.key)[start:] if s.state is HostState.Failed]
            await manager.aclose()

        run(body)
