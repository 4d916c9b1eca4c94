"""Helpers shared by the remoting tests that talk to emulated hosts (imported by the test modules)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Inventory

#: Upper bound for waiting on something that should happen; a hang fails the test instead of stalling CI.
PATIENCE = 60.0


def read_command_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(coroutine_function: Callable[[], Any]) -> Any:
    """Run an async test body on a fresh loop; loop-level errors (e.g. a failing listener) fail the test."""
    problems: list[dict[str, Any]] = []

    async def main() -> Any:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: problems.append(context))
        return await coroutine_function()

    result = asyncio.run(main())
    assert problems == [], problems
    return result


class Recorder:
    """A SessionListener that keeps every event in order and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()

    def host_status_changed(self, status: HostStatus) -> None:
        self.events.append(("status", status))
        self._changed.set()

    def inventory_changed(self, inventory: Inventory, diff: InventoryDiff) -> None:
        self.events.append(("inventory", (inventory, diff)))
        self._changed.set()

    def statuses(self, key: str | None = None) -> list[HostStatus]:
        return [e for kind, e in self.events if kind == "status" and (key is None or e.key == key)]

    def inventories(self, key: str | None = None) -> list[tuple[Inventory, InventoryDiff]]:
        return [e for kind, e in self.events if kind == "inventory" and (key is None or e[0].host == key)]

    def index_of(self, predicate: Callable[[str, Any], bool], start: int = 0) -> int:
        for index in range(start, len(self.events)):
            if predicate(*self.events[index]):
                return index
        return -1

    async def wait_for(self, predicate: Callable[[str, Any], bool], *, start: int = 0) -> int:
        """Index of the first event from `start` on that matches; waits for it to arrive."""
        deadline = time.monotonic() + PATIENCE
        while True:
            found = self.index_of(predicate, start)
            if found >= 0:
                return found
            self._changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching event after {PATIENCE} s; events: {self.events}")
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    async def wait_for_state(self, key: str, state: HostState, *, start: int = 0) -> HostStatus:
        index = await self.wait_for(lambda kind, e: kind == "status" and e.key == key and e.state is state, start=start)
        return self.events[index][1]


def is_status(key: str, state: HostState) -> Callable[[str, Any], bool]:
    return lambda kind, e: kind == "status" and e.key == key and e.state is state


def is_inventory(key: str) -> Callable[[str, Any], bool]:
    return lambda kind, e: kind == "inventory" and e[0].host == key


class FreezableProxy:
    """A TCP relay in front of a host that can go silent: connections stay open but no byte moves.

    That is what a host that hangs (or a network that blackholes packets) looks like to a client, which
    `HostServer.stop()` (connections closed at once) cannot show.
    """

    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.frozen = threading.Event()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = [self._listener]
        self._freeze_marker: bytes | None = None
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze_after(self, marker: bytes) -> None:
        """Go silent as soon as a request that contains `marker` has reached the host: its answer is held.

        Freezes at a known point of the exchange (a Receive under way, say) instead of at a moment that
        races with the answers still on their way.
        """
        self._freeze_marker = marker

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while not self._closed.is_set():
                client = self._listener.accept()[0]
                upstream = socket.create_connection(self._target)
                self._sockets += [client, upstream]
                for source, sink, to_host in ((client, upstream, True), (upstream, client, False)):
                    threading.Thread(target=self._pump, args=(source, sink, to_host), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, to_host: bool) -> None:
        seen = b""  # the end of what went before, for a marker split across two reads
        with contextlib.suppress(OSError):
            while not self._closed.is_set():
                while self.frozen.is_set() and not self._closed.is_set():
                    time.sleep(0.05)
                source.settimeout(0.05)
                try:
                    data = source.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                sink.sendall(data)
                marker = self._freeze_marker
                if to_host and marker is not None:
                    if marker in seen + data:
                        self._freeze_marker = None
                        self.frozen.set()
                    seen = (seen + data)[-len(marker) :]
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
