"""`WorkLane`: a host's work connections, one per operation running at once.

A pypsrp RunspacePool is driven by blocking calls from one thread, so a single connection can only run one
pipeline at a time, whatever its `max_runspaces`. One connection (thread + pool with one runspace) per
concurrent slot runs several long jobs at once and keeps them away from the refresh lane's inventory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from hvgui.remoting.connection import HostConnection

log = logging.getLogger(__name__)


class WorkLane:
    """A host's work connections: created on first need, reused, closed with the session."""

    def __init__(self, connect: Callable[[], HostConnection]) -> None:
        self._connect = connect
        self._idle: list[HostConnection] = []
        self._all: list[HostConnection] = []

    @property
    def size(self) -> int:
        """Connections opened so far (at most the runner's limit)."""
        return len(self._all)

    @property
    def connections(self) -> list[HostConnection]:
        """Every work connection opened so far, idle or busy."""
        return list(self._all)

    def take(self) -> HostConnection:
        if self._idle:
            return self._idle.pop()
        connection = self._connect()
        self._all.append(connection)
        return connection

    def give_back(self, connection: HostConnection) -> None:
        if not connection.closed:
            self._idle.append(connection)

    async def close(self) -> None:
        connections, self._all, self._idle = self._all, [], []
        results = await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)
        for connection, result in zip(connections, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("closing the work connection %r failed: %r", connection, result)
