"""The window's single door to the hosts: intents in, Qt signals out.

`HostsController` owns the `SessionManager`. It listens to the manager's callbacks (which run on the
asyncio loop, i.e. the Qt thread) and re-emits them as Qt signals, so widgets and models only ever connect
to signals and call plain methods; none of them awaits I/O. Every task the controller starts is kept and
cancelled on close, so no coroutine touches the window after it is gone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from hvgui.domain.connection import ConnectionSettings, HostStatus
from hvgui.domain.inventory import InventoryDiff
from hvgui.domain.vm import Inventory

if TYPE_CHECKING:
    from hvgui.remoting import HostSession, SessionManager
    from hvgui.remoting.cert_pins import CertificateInfo, PinStore

log = logging.getLogger(__name__)


class HostAlreadyAdded(ValueError):
    """The window already has a connection to this listener."""


class HostsController(QObject):
    """Turns `SessionListener` callbacks into signals and window intents into session calls."""

    #: A host's connection state, VM count or error changed (also emitted once when a host is added).
    hostStatusChanged = Signal(HostStatus)
    #: A host's inventory changed; `InventoryDiff` lists the rows to insert, remove and update.
    inventoryChanged = Signal(Inventory, InventoryDiff)
    #: A host was removed from the window (its VMs left the table through `inventoryChanged` first).
    hostRemoved = Signal(str)
    #: An intent failed without a host status to carry it: (host key or "", message).
    operationFailed = Signal(str, str)

    def __init__(self, manager: SessionManager, parent: QObject | None = None, *, pins: PinStore | None = None) -> None:
        super().__init__(parent)
        self._manager = manager
        #: Certificates trusted host by host (None: nothing is pinned or remembered, as in most tests).
        self._pins = pins
        self._tasks: set[asyncio.Task[Any]] = set()
        self._close_hooks: list[Callable[[], Awaitable[None]]] = []
        self._closed = False
        manager.subscribe(self)

    # ---- SessionListener -----------------------------------------------------------------------

    def host_status_changed(self, status: HostStatus) -> None:
        if not self._closed:
            self.hostStatusChanged.emit(status)

    def inventory_changed(self, inventory: Inventory, diff: InventoryDiff) -> None:
        if not self._closed:
            self.inventoryChanged.emit(inventory, diff)

    # ---- queries -------------------------------------------------------------------------------

    def host_keys(self) -> list[str]:
        return [session.key for session in self._manager.hosts]

    def has_host(self, key: str) -> bool:
        return key in self.host_keys()

    def status(self, key: str) -> HostStatus:
        return self._manager.host(key).status

    def settings(self, key: str) -> ConnectionSettings:
        return self._manager.host(key).settings

    def inventory(self, key: str) -> Inventory | None:
        return self._manager.host(key).inventory

    def staleness_warning(self, key: str) -> str | None:
        """What to tell a person before an action on this host waits for it (None when the host is current):
        "hv01 is not answering (data 12 s old); this may wait until it answers, ..."."""
        if not self.has_host(key):
            return None
        return self._manager.host(key).staleness_warning()

    @property
    def manager(self) -> SessionManager:
        """The sessions behind the window, for controllers that hear more than hosts (operations)."""
        return self._manager

    def session(self, key: str) -> HostSession:
        """The session of a connected host, for controllers that run commands on it (raises KeyError)."""
        return self._manager.host(key)

    @property
    def is_closed(self) -> bool:
        return self._closed

    # ---- intents -------------------------------------------------------------------------------

    def add_host(self, settings: ConnectionSettings, password: str) -> str:
        """Start connecting to a host; progress arrives through `hostStatusChanged`. Returns the host key."""
        if self._closed:
            raise RuntimeError("the controller is closed")
        if self.has_host(settings.key):
            raise HostAlreadyAdded(f"Already connected to {settings.key}.")
        if self._pins is not None and settings.use_https and not settings.pinned_sha256:
            pinned = self._pins.get(settings.key)
            if pinned:
                settings = dataclasses.replace(settings, pinned_sha256=pinned)
        session = self._manager.add_host(settings, password)
        # The session publishes Connecting itself; emitting its current status here as well means the
        # window shows the host at once even if that first callback raced ahead of our subscription.
        self.hostStatusChanged.emit(session.status)
        return session.key

    def retry(self, key: str) -> None:
        """Try a failed host again now instead of waiting for the next automatic attempt."""
        if not self._closed and self.has_host(key):
            self._manager.host(key).retry_now()

    def update_credentials(self, key: str, username: str, password: str) -> None:
        """Give a host a new user name and password and try it again at once (after "wrong password")."""
        if not self._closed and self.has_host(key):
            self._manager.host(key).update_credentials(username, password)

    def trust_certificate(self, key: str, info: CertificateInfo) -> None:
        """Trust this certificate for the host from now on (its fingerprint is pinned) and reconnect."""
        if self._closed or not self.has_host(key):
            return
        if self._pins is not None:
            self._pins.pin(key, info)
        session = self._manager.host(key)
        session.update_settings(
            dataclasses.replace(session.settings, pinned_sha256=info.sha256, verify_certificate=True, ca_file=None)
        )

    def use_ca_file(self, key: str, ca_file: str) -> None:
        """Check the host's certificate against this CA file instead, and reconnect."""
        if self._closed or not self.has_host(key):
            return
        if self._pins is not None:
            self._pins.forget(key)
        session = self._manager.host(key)
        session.update_settings(
            dataclasses.replace(session.settings, pinned_sha256=None, verify_certificate=True, ca_file=ca_file)
        )

    def refresh(self, key: str) -> None:
        if not self._closed and self.has_host(key):
            self._manager.host(key).refresh_now()

    def remove_host(self, key: str) -> None:
        """Disconnect and forget a host; its VMs leave the table, then `hostRemoved` is emitted."""
        if self._closed or not self.has_host(key):
            return
        self._spawn(self._remove(key), f"remove {key}")

    async def _remove(self, key: str) -> None:
        try:
            await self._manager.remove_host(key)
        except Exception as exc:  # the session is gone from the manager either way; say what happened
            log.exception("removing host %s failed", key)
            self.operationFailed.emit(key, f"Disconnecting from {key} failed: {exc}")
        if not self._closed:
            self.hostRemoved.emit(key)

    # ---- lifetime ------------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_event_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("task %s failed", task.get_name(), exc_info=exc)
            self.operationFailed.emit("", str(exc))

    def add_close_hook(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Await `hook` on close, before the connections close: controllers built on this one end their tasks."""
        self._close_hooks.append(hook)

    async def aclose(self) -> None:
        """Cancel every task (ours and those of the controllers built on us), then close every host connection."""
        if self._closed:
            return
        self._closed = True
        for hook in self._close_hooks:
            try:
                await hook()
            except Exception:  # closing goes on: the connections must close whatever a hook did
                log.exception("a close hook failed")
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._manager.aclose()
