"""`KvpController`: reads a VM's pools and applies pair edits off the widgets' hands.

Reads run on the host's refresh lane (`Get-HvGuiKvpPools`, three bulk CIM queries), changes are typed
operations (`KvpEditOperation`, `KvpBulkOperation`) on the host's work lane, listed in the Activity panel like
any other. Results come back as signals; widgets never await. Every successful read is also handed to the
read listeners (`add_read_listener`): the history stores a snapshot from it, with no host call of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from hvgui.domain.errors import HvGuiError
from hvgui.domain.kvp import KvpChange, VmKvp
from hvgui.domain.kvp_operations import KvpBulkOperation, KvpEditOperation
from hvgui.domain.operations import Operation, OperationRecord, OperationState, VmTarget
from hvgui.domain.vm import VmKey
from hvgui.remoting.kvp import read_pools

if TYPE_CHECKING:
    from hvgui.ui.controllers.hosts_controller import HostsController

log = logging.getLogger(__name__)


class KvpController(QObject):
    """Reads and changes key-value pairs; reports through signals only."""

    #: The pools of one VM were read: (VmKey, VmKvp).
    loaded = Signal(object, object)
    #: The pools read right before an Apply (`read_for_apply`): (VmKey, VmKvp).
    current = Signal(object, object)
    #: Reading failed: (VmKey, reason).
    readFailed = Signal(object, str)
    #: An operation ended: (the id the caller got from `apply`/`bulk`, OperationRecord).
    operationDone = Signal(int, object)

    def __init__(self, hosts: HostsController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hosts = hosts
        self._tasks: set[asyncio.Task[Any]] = set()
        self._next = 0
        self._closed = False
        self._read_listeners: list[Callable[[VmKey, VmKvp], None]] = []
        hosts.add_close_hook(self.aclose)

    @property
    def hosts(self) -> HostsController:
        return self._hosts

    def add_read_listener(self, listener: Callable[[VmKey, VmKvp], None]) -> None:
        """Called on the Qt thread with every VM's pools this controller reads (refreshes and Apply's checks)."""
        self._read_listeners.append(listener)

    def read(self, key: VmKey) -> None:
        self._spawn(self._read(key))

    def read_for_apply(self, key: VmKey) -> None:
        """Read the pools right before applying: the answer comes as `current` (or `readFailed`), so the tab can
        compare what it loaded with what the host holds now."""
        self._spawn(self._read(key, self.current))

    def apply(self, target: VmTarget, changes: Sequence[KvpChange], *, host_only: bool = False) -> int:
        return self._submit(KvpEditOperation(target, changes=tuple(changes), host_only=host_only))

    def bulk(self, targets: Sequence[VmTarget], key: str, value: str, *, remove: bool = False) -> list[int]:
        """One operation per host; returns their ids (for `operationDone`)."""
        by_host: dict[str, list[VmTarget]] = {}
        for target in targets:
            by_host.setdefault(target.host, []).append(target)
        return [
            self._submit(KvpBulkOperation(group[0], targets=tuple(group), key=key, value=value, remove=remove))
            for group in by_host.values()
        ]

    async def _fetch(self, key: VmKey) -> Any:
        session = self._hosts.session(key.host)
        [kvp] = [p for p in await read_pools(session.connection, [key.vm_id]) if p.vm_id == key.vm_id] or [None]
        return kvp

    async def _read(self, key: VmKey, signal: Any = None) -> None:
        try:
            kvp = await self._fetch(key)
        except KeyError:
            self._emit(self.readFailed, key, "the host is no longer connected.")
            return
        except HvGuiError as exc:
            self._emit(self.readFailed, key, str(exc))
            return
        if kvp is None:
            self._emit(self.readFailed, key, "the host no longer lists this VM.")
            return
        if not self._closed:
            for listener in self._read_listeners:
                try:
                    listener(key, kvp)
                except Exception:
                    log.exception("a key-value pair read listener failed")
        self._emit(signal if signal is not None else self.loaded, key, kvp)

    def _submit(self, operation: Operation) -> int:
        self._next += 1
        ident = self._next
        self._spawn(self._run(ident, operation))
        return ident

    async def _run(self, ident: int, operation: Operation) -> None:
        try:
            session = self._hosts.session(operation.target.host)
            record: OperationRecord = await session.operations.submit(operation).done()
        except (KeyError, HvGuiError) as exc:
            reason = "the host is no longer connected." if isinstance(exc, KeyError) else str(exc)
            record = OperationRecord(operation, state=OperationState.Failed, message=reason)
        self._emit(self.operationDone, ident, record)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
        if self._closed or self._hosts.is_closed:
            coro.close()
            return None
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:  # no running loop (the window is closing): nothing would ever run it
            coro.close()
            return None
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a key-value pair task failed", exc_info=task.exception())

    def _emit(self, signal: Any, *values: object) -> None:
        if not self._closed:
            signal.emit(*values)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
