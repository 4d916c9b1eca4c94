"""`SessionManager` and `HostSession`: many hosts at once, each refreshed, reconnected and reported on its own.

Each host has its own asyncio task and its own worker thread (`HostConnection`), so a slow or dead host
never delays another. A session keeps the last good inventory when the host fails, publishes only
changes (`InventoryDiff`), and retries with backoff. Everything here runs on the asyncio loop thread, and
listeners are called on that thread too, so a Qt window can subscribe directly under qasync.

Safety: a wrong password is tried once, never on a schedule (in a domain, retries lock the account); the
session waits for new credentials (`update_credentials`) or an explicit retry. The refresh loop is
supervised: whatever escapes it is logged, shown on the host, and the loop starts again. A refresh that
is overdue marks the host stale within seconds (`is_stale`, `data_age`), long before the call times out.

The inventory has its own deadline (`InventoryDeadline`), learnt per host: a host that has shown itself slow
gets more time, and a time-out is never retried at the same deadline. While the first inventory of a host
loads, its status says since when (`loading_since`); once it arrives, how long it took (`first_load_seconds`).

Live updates (`RefreshConfig.push`): after its first inventory a session runs the host's change watcher
(`hvgui.remoting.watcher`) on a connection of its own and folds the records into the last inventory as they
arrive, publishing them as the usual diffs; a full inventory is read only after a gap (the watcher started
again, records missing, VMs added or removed, the host's clock jumped, a reconnect) and every
`safety_interval` seconds. When the watcher cannot run or dies, the session polls every `poll_interval`
seconds and its status says why (`update_mode`, `update_note`); the watcher is tried again after
`retry_after` seconds, and at once after a reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
from collections.abc import Callable
from typing import Protocol

from hvgui.domain.connection import (
    ConnectionSettings,
    HostState,
    HostStatus,
    UpdateMode,
    data_age_text,
    transport_badge,
)
from hvgui.domain.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    HostCommandError,
    HvGuiError,
    OperationTimedOut,
    ProtocolError,
)
from hvgui.domain.guest_files import GuestFolder
from hvgui.domain.inventory import InventoryDiff, diff_inventory, vanished
from hvgui.domain.operations import OperationRecord
from hvgui.domain.vm import Inventory
from hvgui.remoting.backoff import Backoff
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.guest_browse import list_guest_folder
from hvgui.remoting.guest_credentials import GuestCredentials
from hvgui.remoting.hostapi import HostApi
from hvgui.remoting.inventory_deadline import InventoryDeadline
from hvgui.remoting.operations import OperationRunner, OperationsConfig
from hvgui.remoting.watcher import ChangeWatcher, RefreshConfig, VmRow, WatchRecord, apply_rows

log = logging.getLogger(__name__)


#: A refresh still running this many seconds after it started means the host missed its refresh: its
#: data is marked stale (a refresh that took longer before gets twice its last duration).
STALE_GRACE = 3.0
#: Pause before a crashed refresh loop starts again, so a defect cannot spin the event loop.
LOOP_RESTART_DELAY = 1.0
#: How far each safety refresh may move from `RefreshConfig.safety_interval`, as a fraction of it, so that
#: hosts connected together spread their full inventories apart.
SAFETY_JITTER = 0.25
#: What the hosts pane says of a host whose watcher reads every VM each tick because its WMI provider raises no
#: heartbeat events: live all the same, at a cost to the host that grows with its VMs.
SCANNING_NOTE = "this host raises no heartbeat events, so its change watcher reads every VM a few times a second"


class SessionListener(Protocol):
    """Receives what the sessions learn. Called on the asyncio loop thread (the Qt thread under qasync)."""

    def host_status_changed(self, status: HostStatus) -> None: ...

    def inventory_changed(self, inventory: Inventory, diff: InventoryDiff) -> None: ...


class HostSession:
    """One host: its connection, its refresh loop, its status and its last good inventory.

    Two lanes: the refresh loop has the session's own connection; changes go through `operations`, whose
    work lane opens its own connections on first use, so a long shutdown never delays the refresh. With live
    updates the refresh lane has a second connection for the change watcher: a connection is one worker
    thread and one runspace, which a pipeline that never ends would hold against the inventories the lane
    still reads (on connect, after gaps, every `safety_interval`, and all of them while it polls). A change
    asks for a refresh with `next_inventory()`; requests that arrive together share one inventory.

    Status goes Connecting -> Connected, and on a failure Failed (with `error` and `next_retry_at`) ->
    Connecting (still carrying the last error, so the window can say what it is retrying after) -> ...
    until Connected again; Closed at the end. `vm_count` and `host_name` follow each refresh, and
    `last_refresh_at`/`stale` say how fresh the data is. After AuthenticationFailed the status stays
    Failed with no `next_retry_at` until `update_credentials` or `retry_now`.
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        password: str,
        *,
        publisher: _Publisher,
        refresh_interval: float,
        operation_timeout: float,
        connect_timeout: float,
        backoff: Backoff,
        operations: OperationsConfig | None = None,
        inventory_deadline: InventoryDeadline | None = None,
        refresh: RefreshConfig | None = None,
    ) -> None:
        self.key = settings.key
        self.settings = settings
        self._password = password

        def connect() -> HostConnection:
            # Reads the session's current credentials: a work connection opened after "Edit credentials…"
            # uses the new ones.
            return HostConnection(
                self.settings, self._password, connect_timeout=connect_timeout, operation_timeout=operation_timeout
            )

        self._connection = connect()
        self._connect_work = connect
        self._operations_config = operations
        self._operations: OperationRunner | None = None
        # Inventories started so far, and who waits for one that starts after their request (merged refreshes).
        self._fetches_started = 0
        self._inventory_waiters: list[tuple[int, asyncio.Future[Inventory]]] = []
        self._api = HostApi(self._connection)
        self._publisher = publisher
        self._refresh_interval = refresh_interval
        self._refresh_config = refresh or RefreshConfig(poll_interval=refresh_interval)
        self._backoff = backoff
        # The first inventory starts loading with the session.
        self._status = HostStatus(
            key=self.key,
            label=settings.label,
            state=HostState.Connecting,
            loading_since=time.time(),
            update_mode=UpdateMode.Polling if self._refresh_config.push else None,
            poll_interval=refresh_interval if self._refresh_config.push else None,
            security=transport_badge(settings),
        )
        # Live updates: the watcher's connection and task, and what the session knows about its stream.
        self._watch_connection: HostConnection | None = None
        self._watcher_task: asyncio.Task[None] | None = None
        self._live = False
        self._watch_retry_at: float | None = None  # time.monotonic() before which a failed watcher is not retried
        self._watch_unsupported = False  # the host cannot run it: only a reconnect tries again
        self._reconnected = False  # the host failed since the last good inventory
        self._expected_seq = 0
        self._resync_on_hello = False
        self._inventory_since_watch = False  # a full inventory arrived since the watcher last started
        self._replay: list[VmRow] | None = None  # rows that arrived while a full inventory was on its way
        self._silence_timer: asyncio.TimerHandle | None = None
        self._silence_deadline = 0.0  # time.monotonic() after which a silent watcher counts as dead
        self._silenced = False
        self._heard_from_watcher = False
        self._inventory: Inventory | None = None
        self._published_inventory = False
        self._fetch_lock = asyncio.Lock()
        self._refresh_requested = asyncio.Event()
        self._retry_requested = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._last_refresh_duration = 0.0
        self._inventory_deadline = inventory_deadline or InventoryDeadline()
        #: Times the refresh loop crashed and was started again (a defect each time; tests read it).
        self.loop_restarts = 0
        #: Guest accounts for PowerShell Direct (copy out of a guest), by VM id: in memory, for this session only.
        self.guest_credentials = GuestCredentials()

    # --- public API -------------------------------------------------------------------------------------

    @property
    def status(self) -> HostStatus:
        return self._status

    @property
    def inventory(self) -> Inventory | None:
        """The last inventory that arrived; kept while the host is failing (the window marks it stale)."""
        return self._inventory

    @property
    def api(self) -> HostApi:
        """Typed calls on this host's connection, for commands beyond the inventory."""
        return self._api

    @property
    def connection(self) -> HostConnection:
        return self._connection

    @property
    def inventory_deadline(self) -> float:
        """Seconds the next inventory may take: grows for a host that has shown itself slow."""
        return self._inventory_deadline.current

    @property
    def is_stale(self) -> bool:
        """The VMs shown may no longer be true: no refresh yet, a refresh overdue, or the host failing."""
        status = self._status
        return status.stale or status.last_refresh_at is None or status.state is not HostState.Connected

    @property
    def data_age(self) -> float | None:
        """Seconds since the last refresh arrived; None before the first."""
        return self._status.data_age(time.time())

    def staleness_warning(self) -> str | None:
        """What to tell a person before an action on this host waits for it; None when the host is current."""
        if not self.is_stale:
            return None
        age = self.data_age
        status = self._status
        if status.needs_credentials:
            return f"{self.settings.label} refused these credentials; edit the credentials first."
        if status.error is not None and status.state is not HostState.Connected:
            reason = getattr(status.error, "message", str(status.error))
            return f"{self.settings.label} is not connected ({data_age_text(age)}): {reason}"
        if age is None:
            return f"{self.settings.label} has not answered yet; this may wait until it does."
        return (
            f"{self.settings.label} is not answering ({data_age_text(age)}); "
            "this may wait until it answers, and the VM may have changed meanwhile."
        )

    def update_settings(self, settings: ConnectionSettings) -> None:
        """Use changed settings for the same listener (a pinned certificate, a CA file) and try again at once."""
        if self._closed:
            raise ConnectionFailed(f"The session to {self.settings.label} is closed.")
        if settings.key != self.settings.key:
            raise ValueError(f"{settings.key} is another listener than {self.settings.key}")
        self.settings = settings
        for connection in self._all_connections():
            connection.update_credentials(settings, self._password)
        self._status = dataclasses.replace(self._status, security=transport_badge(settings))
        self._backoff.reset()
        self.retry_now()

    def update_credentials(self, username: str, password: str) -> None:
        """Use a new user name and password for this host, and try it again at once."""
        if self._closed:
            raise ConnectionFailed(f"The session to {self.settings.label} is closed.")
        self.settings = dataclasses.replace(self.settings, username=username)
        self._password = password
        for connection in self._all_connections():
            connection.update_credentials(self.settings, password)
        self._backoff.reset()
        self.retry_now()

    def retry_now(self) -> None:
        """Skip the backoff wait (and any refresh wait): try the host again at once."""
        self._retry_requested.set()

    def refresh_now(self) -> None:
        """Refresh as soon as possible, e.g. after a command changed something. Does not cut a backoff short."""
        self._refresh_requested.set()

    @property
    def operations(self) -> OperationRunner:
        """The host's one path for changes: its work lane (opened on first use), queue and deadlines."""
        if self._operations is None:
            if self._closed:
                raise ConnectionFailed(f"The session to {self.settings.label} is closed.")
            self._operations = OperationRunner(
                self,
                self._connect_work,
                config=self._operations_config,
                listener=self._publisher.operation_changed,
                merge_window=min(self._refresh_interval, 2.0),
                guest_credentials=self.guest_credentials,
            )
        return self._operations

    async def list_guest_folder(self, vm_id: str, vm_name: str, path: str = "") -> GuestFolder:
        """A Windows guest's drives (`path` "") or one of its folders, through PowerShell Direct with the guest
        account this session holds for the VM, on the work lane (see `guest_browse.list_guest_folder`)."""
        credential = self.guest_credentials.get(vm_id)
        return await self.operations.read(
            lambda connection: list_guest_folder(connection, vm_id, vm_name, credential, path)
        )

    def next_inventory(self, *, request: bool = True) -> asyncio.Future[Inventory]:
        """The first inventory that starts after this call. With `request`, ask for it now (requests that
        arrive together share one inventory); without, wait for the refresh schedule."""
        future: asyncio.Future[Inventory] = asyncio.get_event_loop().create_future()
        self._inventory_waiters.append((self._fetches_started + 1, future))
        if request:
            self.refresh_now()
        return future

    def _inventory_arrived(self, number: int, outcome: Inventory | BaseException) -> None:
        """Answer who waits for inventory `number` (or an earlier one): with it, or with why it failed."""
        waiting = []
        for wanted, future in self._inventory_waiters:
            if future.done():
                continue
            if wanted > number:
                waiting.append((wanted, future))
            elif isinstance(outcome, asyncio.CancelledError):
                future.cancel()
            elif isinstance(outcome, BaseException):
                future.set_exception(outcome)
                future.add_done_callback(lambda f: f.exception())  # a waiter may have given up already
            else:
                future.set_result(outcome)
        self._inventory_waiters = waiting

    async def fetch_inventory(self) -> Inventory:
        """Refresh once: fetch, diff against the last inventory, publish, and return the new inventory."""
        if self._closed:
            raise ConnectionFailed(f"The session to {self.settings.label} is closed.")
        async with self._fetch_lock:
            self._refresh_requested.clear()
            self._replay = []  # the watcher's rows that arrive meanwhile are newer than parts of this inventory
            self._fetches_started += 1
            number = self._fetches_started
            first = self._inventory is None
            if first and self._status.loading_since is None:  # not news on its own: Connecting says it
                self._status = dataclasses.replace(self._status, loading_since=time.time())
            deadline = self._inventory_deadline.current
            started = time.monotonic()
            try:
                # Decoded and compared with the last inventory on the connection's worker thread: the
                # loop (Qt) thread only publishes the result.
                base = self._inventory
                report, diff = await self._api.inventory_update(base, timeout=deadline)
            except OperationTimedOut as exc:
                longer = self._inventory_deadline.timed_out()
                error = OperationTimedOut(
                    f"{self.settings.label} did not send its inventory within {deadline:g} s.",
                    hint=f"The host may be busy or have many VMs; the next attempt allows {longer:g} s.",
                )
                self._failed_fetch(number, error)
                raise error from exc
            except BaseException as exc:
                self._failed_fetch(number, exc)
                raise
            duration = time.monotonic() - started
            self._inventory_deadline.succeeded(duration)
            if first:
                log.info("the first inventory of %s took %.1f s", self.key, duration)
                self._status = dataclasses.replace(self._status, loading_since=None, first_load_seconds=duration)
            inventory = self._replayed(report.inventory)
            if inventory is not report.inventory or self._inventory is not base:
                # The watcher's rows changed the inventory while this one was on its way: compare again.
                diff = diff_inventory(self._inventory, inventory)
            self._inventory = inventory
            self._inventory_arrived(number, inventory)
            if not diff.is_empty or not self._published_inventory:
                self._published_inventory = True
                self._publisher.inventory_changed(inventory, diff)
            # The time of each refresh is not news on its own (listeners would hear from every host every
            # two seconds); it travels with the next status that is, e.g. the one that says "stale".
            self._status = dataclasses.replace(self._status, last_refresh_at=inventory.fetched_at)
            self._set_status(
                state=HostState.Connected,
                error=None,
                next_retry_at=None,
                vm_count=len(inventory.vms),
                host_name=report.host_name or self._status.host_name,
                stale=False,
                unreadable=inventory.unreadable,
            )
            return inventory

    def _failed_fetch(self, number: int, outcome: BaseException) -> None:
        """An inventory did not arrive: tell who waits for it, and stop saying the host is loading."""
        self._replay = None
        self._inventory_arrived(number, outcome)
        # Not news on its own: the failure status that follows carries it.
        self._status = dataclasses.replace(self._status, loading_since=None)

    async def close(self) -> None:
        """Stop the refresh loop and close the connection (its pool and worker thread), whatever the loop's
        task ended with."""
        if self._closed:
            return
        self._closed = True
        self.guest_credentials.clear()
        task = self._task
        await self._stop_watcher()
        try:
            if task is not None and task is not asyncio.current_task():
                task.cancel()
                await asyncio.wait([task])  # never raises: the task's own end is looked at below
                if not task.cancelled() and task.exception() is not None:
                    log.error("the refresh loop of %s had ended with an error", self.key, exc_info=task.exception())
            if self._operations is not None:
                await self._operations.aclose()
            for _, future in self._inventory_waiters:
                future.cancel()
        finally:
            for connection in self._all_connections():
                await connection.close()
            self._set_status(state=HostState.Closed, next_retry_at=None)

    def _all_connections(self) -> list[HostConnection]:
        """Every connection this session holds to its host (credentials and close apply to each)."""
        work = self._operations.lane.connections if self._operations is not None else []
        watch = [self._watch_connection] if self._watch_connection is not None else []
        return [self._connection, *watch, *work]

    # --- the refresh loop -------------------------------------------------------------------------------

    def _start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"hvgui-session {self.key}")

    async def _run(self) -> None:
        """The supervisor: runs the refresh loop, and starts it again whenever something escapes it."""
        self._publisher.host_status_changed(self._status)
        while not self._closed:
            try:
                await self._refresh_loop()
            except Exception as exc:  # a defect in hvgui, not a host problem
                self.loop_restarts += 1
                log.exception("the refresh loop of %s failed; starting it again", self.key)
                error = ProtocolError(
                    f"hvgui's refresh of this host failed unexpectedly ({type(exc).__name__}: {exc}).",
                    hint="It starts again by itself; the details are in the log.",
                )
                self._set_status(
                    state=HostState.Failed,
                    error=error,
                    next_retry_at=time.monotonic() + LOOP_RESTART_DELAY,
                    stale=True,
                )
                await self._wait(LOOP_RESTART_DELAY, self._retry_requested)

    async def _refresh_loop(self) -> None:
        while not self._closed:
            try:
                await self._watched_refresh()
            except AuthenticationFailed as exc:
                await self._wait_for_credentials(exc)
                continue
            except HvGuiError as exc:
                await self._after_failure(exc)
                continue
            except Exception as exc:  # a defect, not a host problem: report it and keep the loop alive
                log.exception("refreshing %s failed unexpectedly", self.key)
                await self._after_failure(ProtocolError(f"Unexpected error while refreshing: {exc!r}"))
                continue
            self._backoff.reset()
            self._after_refresh()
            await self._wait(self._next_refresh_delay(), self._refresh_requested, self._retry_requested)

    def _next_refresh_delay(self) -> float:
        """Seconds until the next scheduled refresh: refreshes start every `refresh_interval` seconds (every
        `safety_interval` while the host's changes arrive live), counted from start to start, so a host whose
        inventory takes 0.8 s is still seen every 2 s, not every 2.8 s. A host slower than half the interval
        rests at least as long as its inventory took, so hvgui never keeps a slow host busy more than half of
        the time.

        The safety interval is drawn anew each time within `SAFETY_JITTER` of its value: hosts connected
        together would otherwise send their full inventories in the same second, every minute, and the client
        would decode thousands of VMs of several hosts at once (the window then waits for the interpreter).
        Nothing waits for a safety refresh, so a few seconds either way cost nothing."""
        spent = self._last_refresh_duration
        # A watcher that is starting counts as live: if it fails, or stays silent, it asks for a refresh itself.
        watching = self._live or self._watcher_task is not None
        if watching:
            safety = self._refresh_config.safety_interval
            interval = safety * random.uniform(1 - SAFETY_JITTER, 1 + SAFETY_JITTER)
        else:
            interval = self._refresh_interval
        return max(interval - spent, spent)

    async def _watched_refresh(self) -> None:
        """One refresh, with a watch that marks the host stale as soon as the refresh is overdue."""
        started = time.monotonic()
        overdue_after = max(STALE_GRACE, 2 * self._last_refresh_duration)
        watch = asyncio.get_running_loop().call_later(overdue_after, self._mark_overdue)
        try:
            await self.fetch_inventory()
        finally:
            watch.cancel()
        self._last_refresh_duration = time.monotonic() - started

    def _mark_overdue(self) -> None:
        if not self._closed:
            log.info("%s has not answered its refresh for %.0f s; its data is stale", self.key, STALE_GRACE)
            self._set_status(stale=True)

    async def _wait_for_credentials(self, error: AuthenticationFailed) -> None:
        """A refused password is not tried again on a schedule: wait for new credentials or a retry."""
        log.info("%s refused the credentials; waiting for new ones", self.key)
        self._reconnected = True
        self._set_status(state=HostState.Failed, error=error, next_retry_at=None, stale=True)
        await self._retry_requested.wait()
        self._retry_requested.clear()
        self._set_status(state=HostState.Connecting, next_retry_at=None, loading_since=self._loading_since())

    async def _after_failure(self, error: HvGuiError) -> None:
        self._reconnected = True
        delay = self._backoff.next_delay()
        log.info("%s failed (%s); retrying in %.1f s", self.key, error, delay)
        self._set_status(state=HostState.Failed, error=error, next_retry_at=time.monotonic() + delay, stale=True)
        await self._wait(delay, self._retry_requested)
        self._set_status(state=HostState.Connecting, next_retry_at=None, loading_since=self._loading_since())

    def _loading_since(self) -> float | None:
        """When the attempt that starts now began loading the first inventory; None once one arrived."""
        return time.time() if self._inventory is None else None

    @staticmethod
    async def _wait(delay: float, *wake_events: asyncio.Event) -> None:
        """Sleep `delay` seconds, or less when one of `wake_events` is set (those are then cleared)."""
        waiters = [asyncio.ensure_future(event.wait()) for event in wake_events]
        try:
            await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            for event in wake_events:
                event.clear()

    # --- live updates -------------------------------------------------------------------------------------

    def _after_refresh(self) -> None:
        """After a good inventory: start the change watcher if the session wants one and may try it now."""
        reconnected, self._reconnected = self._reconnected, False
        if not self._refresh_config.push or self._closed or self._watcher_task is not None:
            return
        if reconnected:
            self._watch_unsupported = False
        elif self._watch_unsupported or (self._watch_retry_at is not None and time.monotonic() < self._watch_retry_at):
            return
        if self._watch_connection is None:
            self._watch_connection = self._connect_work()
        self._watcher_task = asyncio.get_running_loop().create_task(self._watch(), name=f"hvgui-watch {self.key}")

    async def _watch(self) -> None:
        """Run the watcher again and again (it ends after its duration); on failure fall back to polling."""
        assert self._watch_connection is not None
        watcher = ChangeWatcher(self._watch_connection, self._refresh_config, self._records_arrived)
        try:
            while not self._closed:
                self._expected_seq = 0
                # The first run after an inventory starts where it stands; a later run follows a gap.
                self._resync_on_hello = not self._inventory_since_watch
                self._inventory_since_watch = False
                self._arm_silence()
                self._heard_from_watcher = False
                await watcher.run()
                if not self._heard_from_watcher:  # never loop over a watcher that ends at once
                    self._watch_stopped("the host's change watcher ended without a record", retry=True)
                    return
                log.info("the change watcher of %s ended after its duration; starting it again", self.key)
        except asyncio.CancelledError:
            if not self._silenced:
                raise
            silence = self._refresh_config.silence
            self._watch_stopped(f"the host's change stream was silent for {silence:g} s", retry=True)
        except AuthenticationFailed as exc:
            self._watch_stopped(f"the host refused the credentials: {exc}", retry=True)
        except HostCommandError as exc:
            unsupported = exc.fully_qualified_error_id.startswith("CommandNotFoundException")
            if unsupported:
                self._watch_stopped(f"the host cannot run hvgui's change watcher ({exc.message})", retry=False)
            else:
                self._watch_stopped(f"the host's change watcher stopped: {exc.message.strip()}", retry=True)
        except HvGuiError as exc:
            self._watch_stopped(f"lost the host's change stream: {getattr(exc, 'message', exc)}", retry=True)
        except Exception as exc:  # a defect in hvgui: polling still keeps the view current
            log.exception("the change watcher of %s failed unexpectedly", self.key)
            self._watch_stopped(f"hvgui's change reader failed ({type(exc).__name__})", retry=True)
        finally:
            self._disarm_silence()
            if self._watcher_task is asyncio.current_task():
                self._watcher_task = None

    def _watch_stopped(self, note: str, *, retry: bool) -> None:
        """The watcher is gone: poll from now on (at once: changes may have been missed), and say why."""
        log.info("%s: %s; polling every %g s", self.key, note, self._refresh_interval)
        self._live = False
        self._silenced = False
        self._heard_from_watcher = False
        if retry:
            self._watch_retry_at = time.monotonic() + self._refresh_config.retry_after
        else:
            self._watch_unsupported = True
        if not self._closed:
            self._set_status(update_mode=UpdateMode.Polling, poll_interval=self._refresh_interval, update_note=note)
            self.refresh_now()

    async def _stop_watcher(self) -> None:
        task, self._watcher_task = self._watcher_task, None
        self._disarm_silence()
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])

    def _arm_silence(self) -> None:
        """(Re)start the watch on the stream: no record for `silence` seconds stops the watcher as dead.

        Records arrive several times a second; each one only moves the deadline, and the one timer, when it
        fires early, waits for the rest (a timer per record would be started and killed as often)."""
        self._silence_deadline = time.monotonic() + self._refresh_config.silence
        if self._silence_timer is None:
            self._silence_timer = asyncio.get_running_loop().call_later(self._refresh_config.silence, self._silent)

    def _disarm_silence(self) -> None:
        if self._silence_timer is not None:
            self._silence_timer.cancel()
            self._silence_timer = None

    def _silent(self) -> None:
        self._silence_timer = None
        left = self._silence_deadline - time.monotonic()
        if left > 0:
            self._silence_timer = asyncio.get_running_loop().call_later(left, self._silent)
            return
        task = self._watcher_task
        if task is not None and not task.done():
            log.info("%s: no record from the change watcher for %g s", self.key, self._refresh_config.silence)
            self._silenced = True
            task.cancel()

    def _records_arrived(self, records: list[WatchRecord]) -> None:
        """Records of the watcher, parsed on its worker thread; here on the loop thread, in order."""
        if self._closed or self._watcher_task is None:
            return
        try:
            self._take_records(records)
        except Exception:  # a defect in hvgui: a full inventory puts the view right
            log.exception("applying the change records of %s failed; reading a full inventory", self.key)
            self.refresh_now()

    def _take_records(self, records: list[WatchRecord]) -> None:
        self._arm_silence()
        self._heard_from_watcher = True
        rows: list[VmRow] = []
        resync: str | None = None
        note: str | None = None
        for record in records:
            if record.seq is not None:
                if record.seq != self._expected_seq:
                    resync = f"records {self._expected_seq} to {record.seq - 1} of the change watcher went missing"
                self._expected_seq = record.seq + 1
            if record.kind == "unreadable":
                log.warning("%s: unreadable record from the change watcher: %s", self.key, record.why)
                resync = "a record of the change watcher could not be read"
            elif record.kind == "hello":
                if self._resync_on_hello:
                    resync = "the change watcher started again"
                self._live = True
                self._watch_retry_at = None
                note = SCANNING_NOTE if record.via == "scan" else ""
                rows.extend(record.rows)
            elif record.kind == "change":
                rows.extend(record.rows)
            elif record.kind == "resync" and record.why == "clock":
                resync = note = f"the host's clock jumped {record.jump:+g} s; its inventory was read again"
            elif record.kind == "resync":
                resync = "VMs were added to or removed from the host"
        # The data is current as of now (not news on its own: the next status that is carries it).
        self._status = dataclasses.replace(self._status, last_refresh_at=time.time())
        if note is not None:
            self._set_status(update_mode=UpdateMode.Live, update_note=note)
        if rows:
            self._apply_rows(rows)
        if resync is not None:
            log.info("%s: %s; reading a full inventory", self.key, resync)
            self.refresh_now()

    def _apply_rows(self, rows: list[VmRow]) -> None:
        if self._replay is not None:
            self._replay.extend(rows)
        if self._inventory is None:
            return
        inventory, diff, unknown = apply_rows(self._inventory, rows, fetched_at=time.time())
        if unknown:
            self.refresh_now()
        if not diff.is_empty:
            self._inventory = inventory
            self._publisher.inventory_changed(inventory, diff)

    def _replayed(self, inventory: Inventory) -> Inventory:
        """A full inventory with the watcher's rows that arrived while it was on its way laid over it."""
        replay, self._replay = self._replay, None
        self._inventory_since_watch = True
        if not replay:
            return inventory
        return apply_rows(inventory, replay, fetched_at=inventory.fetched_at)[0]

    def _set_status(self, **changes: object) -> None:
        updated = dataclasses.replace(self._status, **changes)
        if updated != self._status:
            self._status = updated
            self._publisher.host_status_changed(updated)

    def __repr__(self) -> str:
        return f"HostSession({self.key!r}, {self._status.state.value})"


class _Publisher:
    """Fans events out to the listeners; a failing listener is reported and never stops a session."""

    def __init__(self) -> None:
        self.listeners: list[SessionListener] = []
        self.operation_listeners: list[Callable[[OperationRecord], None]] = []

    def host_status_changed(self, status: HostStatus) -> None:
        for listener in list(self.listeners):
            self._call(listener.host_status_changed, status)

    def inventory_changed(self, inventory: Inventory, diff: InventoryDiff) -> None:
        for listener in list(self.listeners):
            self._call(listener.inventory_changed, inventory, diff)

    def operation_changed(self, record: OperationRecord) -> None:
        for listener in list(self.operation_listeners):
            self._call(listener, record)

    @staticmethod
    def _call(callback: Callable[..., None], *args: object) -> None:
        try:
            callback(*args)
        except Exception as exc:
            asyncio.get_running_loop().call_exception_handler(
                {"message": f"session listener {callback!r} failed", "exception": exc}
            )


class SessionManager:
    """All host sessions of the window: add, find, remove, close."""

    def __init__(
        self,
        *,
        refresh_interval: float = 2.0,
        operation_timeout: float = 20.0,
        connect_timeout: float = 10.0,
        backoff: Callable[[], Backoff] = Backoff,
        operations: OperationsConfig | None = None,
        inventory_deadline: Callable[[], InventoryDeadline] = InventoryDeadline,
        refresh: RefreshConfig | None = None,
    ) -> None:
        """`operation_timeout` bounds the other calls of a session; the inventory has its own deadline, one
        `inventory_deadline()` per host, which learns from that host's inventories. `refresh` turns live
        updates on (`RefreshConfig.push`); its `poll_interval` then replaces `refresh_interval`."""
        if refresh is not None:
            refresh_interval = refresh.poll_interval
        self.refresh = refresh or RefreshConfig(poll_interval=refresh_interval)
        self.refresh_interval = refresh_interval
        self.operations_config = operations or OperationsConfig()
        self.operation_timeout = operation_timeout
        self.connect_timeout = connect_timeout
        self._backoff = backoff
        self._inventory_deadline = inventory_deadline
        self._publisher = _Publisher()
        self._sessions: dict[str, HostSession] = {}

    def subscribe(self, listener: SessionListener) -> None:
        self._publisher.listeners.append(listener)

    def unsubscribe(self, listener: SessionListener) -> None:
        with contextlib.suppress(ValueError):
            self._publisher.listeners.remove(listener)

    def subscribe_operations(self, listener: Callable[[OperationRecord], None]) -> None:
        """Hear every new snapshot of every operation on every host (on the loop thread)."""
        self._publisher.operation_listeners.append(listener)

    def unsubscribe_operations(self, listener: Callable[[OperationRecord], None]) -> None:
        with contextlib.suppress(ValueError):
            self._publisher.operation_listeners.remove(listener)

    def add_host(self, settings: ConnectionSettings, password: str) -> HostSession:
        """Start a session (needs a running asyncio loop). A host can be added once per key."""
        asyncio.get_running_loop()
        if settings.key in self._sessions:
            raise ValueError(f"{settings.key} is already connected")
        session = HostSession(
            settings,
            password,
            publisher=self._publisher,
            refresh_interval=self.refresh_interval,
            operation_timeout=self.operation_timeout,
            connect_timeout=self.connect_timeout,
            backoff=self._backoff(),
            operations=self.operations_config,
            inventory_deadline=self._inventory_deadline(),
            refresh=self.refresh,
        )
        self._sessions[session.key] = session
        session._start()
        return session

    async def remove_host(self, key: str) -> None:
        """Close a host's session and tell listeners its VMs are gone."""
        session = self._sessions.pop(key)
        last = session.inventory
        await session.close()
        if last is not None:
            self._publisher.inventory_changed(Inventory(host=key, vms=(), fetched_at=time.time()), vanished(key, last))

    def host(self, key: str) -> HostSession:
        return self._sessions[key]

    @property
    def hosts(self) -> list[HostSession]:
        return list(self._sessions.values())

    async def aclose(self) -> None:
        """Cancel every refresh loop and close every connection (pools and worker threads), in parallel."""
        sessions = list(self._sessions.values())
        self._sessions.clear()
        results = await asyncio.gather(*(session.close() for session in sessions), return_exceptions=True)
        for session, result in zip(sessions, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("closing %s failed: %r", session.key, result)
