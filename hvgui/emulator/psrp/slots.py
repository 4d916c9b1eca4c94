"""Runspace slots: how many pipelines of one pool may run at once (the pool's MaxRunspaces)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable


class RunspaceSlots:
    """A first-come first-served semaphore whose size the client can change and whose waits can be cancelled.

    A real host queues a pipeline until one of the pool's runspaces is free, in the order the pipelines
    were invoked; a stopped pipeline leaves the queue at once. Pipelines take a ticket when they are
    invoked (`take_ticket`) and wait with it (`acquire`), so worker threads racing for the lock cannot
    overtake one another.
    """

    def __init__(self, limit: int = 1) -> None:
        self._condition = threading.Condition()
        self._limit = max(1, limit)
        self._busy = 0
        self._tickets = itertools.count()
        self._waiting: list[int] = []

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def available(self) -> int:
        with self._condition:
            return max(0, self._limit - self._busy)

    def resize(self, limit: int) -> None:
        with self._condition:
            self._limit = max(1, limit)
            self._condition.notify_all()

    def take_ticket(self) -> int:
        """A place in the queue, taken when the pipeline is invoked."""
        with self._condition:
            ticket = next(self._tickets)
            self._waiting.append(ticket)
            return ticket

    def acquire(self, ticket: int, cancelled: Callable[[], bool]) -> bool:
        """Wait for a free slot in ticket order. Returns False (holding nothing) when `cancelled()` turns true."""
        with self._condition:
            try:
                while self._waiting[0] != ticket or self._busy >= self._limit:
                    if cancelled():
                        return False
                    self._condition.wait(0.5)
                if cancelled():
                    return False
                self._busy += 1
                return True
            finally:
                self._waiting.remove(ticket)
                self._condition.notify_all()

    def release(self) -> None:
        with self._condition:
            self._busy = max(0, self._busy - 1)
            self._condition.notify_all()

    def wake(self) -> None:
        """Make waiters re-check their cancellation now."""
        with self._condition:
            self._condition.notify_all()
