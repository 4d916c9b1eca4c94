"""One command path per host: `OperationRunner` runs typed operations on the host's work lane, then refreshes.

Lanes. Each host has a refresh lane (the session's own `HostConnection`) and a work lane: up to `limit`
further `HostConnection`s, opened lazily, one per operation running at once. A pypsrp RunspacePool is driven
by blocking calls from one thread, so a single connection can only run one pipeline at a time, whatever its
`max_runspaces`; one connection (thread + pool with one runspace) per concurrent slot is the simplest way to
run several long jobs at once, and it keeps them away from the 2 s inventory. Each slot is a shell on the
host, so the limit (default 4; with the refresh lane, 5 shells per host) stays well below the per-user shell
quota of the Microsoft.PowerShell endpoint (about 25, hyperv-cim-winrm.md §9). Operations beyond the limit
wait in a visible queue (state Queued) and start in order.

One path. `submit` returns an `OperationHandle` at once. The runner runs the pipeline with the host's
progress records going into `record.progress`, then waits for the next inventory that starts after the
pipeline ended. It does not demand one of its own: it waits for the refresh schedule, and asks, once for
every operation waiting then, only when the host has brought no inventory for two merge windows (the
window is the refresh interval, at most 2 s). One window is not enough: an operation that ends while an
inventory runs, or just before the schedule starts one, would ask for an inventory the schedule is about to
deliver, and the host would pay one more. So five Saves that end together cost at most one extra inventory,
and operations that end while the host refreshes every 2 s cost none (unless its inventory takes longer
than a window). The final record is published only once that inventory is in, so whoever showed the
operation as pending then holds the host's truth.

Deadlines. When an operation's deadline passes it is not failed: Hyper-V finishes a job whose caller stopped
waiting. The record becomes StillRunning and the runner watches the VM in the host's inventories until the
operation's `settled` says it took effect (Succeeded), or until the watch limit passes (Failed, saying that
hvgui stopped watching). A host that reports success while the VM is still in a transitional state (a
pipeline that returns before the job ends) is watched the same way.

Copies. Before the session's first copy the runner sweeps the host's stale staged files (on the work lane).
A copy that failed because the connection dropped keeps what it staged: `retry` runs it again from there
(`retry_of`), and `discard_staged` (the admin dismissed it) or closing the runner removes it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from hvgui.domain.errors import ConnectionFailed, HostCommandError, HvGuiError, OperationCancelled
from hvgui.domain.existing_files import AskExisting
from hvgui.domain.operations import (
    CopyFromGuestOperation,
    CopyToGuestOperation,
    Operation,
    OperationProgress,
    OperationRecord,
    OperationState,
    retry_of,
    staged_transfers,
)
from hvgui.domain.vm import Inventory, Vm
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.guest_credentials import GuestCredentials
from hvgui.remoting.hostapi import HostApi
from hvgui.remoting.operations.config import OperationsConfig
from hvgui.remoting.operations.lane import WorkLane
from hvgui.remoting.operations.perform import Outcome, perform
from hvgui.remoting.transfers.housekeeping import HOUSEKEEPING_TIMEOUT, discard, sweep_stale

log = logging.getLogger(__name__)
T = TypeVar("T")

# The loop is looked up with `asyncio.get_event_loop()`, not `get_running_loop()`: several of the methods below
# run as callbacks (a pipeline's done callback frees its slot), which qasync may call while it processes the
# last Qt events of `run_until_complete`, when no loop counts as running.

#: Called on the loop thread with every new snapshot of every operation.
RecordListener = Callable[[OperationRecord], None]

#: Finished records kept per host for the Activity panel (older ones are forgotten).
HISTORY = 500


class InventorySource(Protocol):
    """What the runner needs from its host's session: its inventories and a way to ask for one."""

    @property
    def inventory(self) -> Inventory | None: ...

    def next_inventory(self, *, request: bool = True) -> asyncio.Future[Inventory]: ...

    def refresh_now(self) -> None: ...


class OperationHandle:
    """The caller's view of one submitted operation."""

    def __init__(self, job: _Job) -> None:
        self._job = job

    @property
    def record(self) -> OperationRecord:
        """The latest snapshot."""
        return self._job.record

    @property
    def op_id(self) -> int:
        return self._job.record.op_id

    async def wait(self) -> OperationRecord:
        """The record once it is final, or once it says "still running on the host", whichever comes first."""
        await asyncio.shield(self._job.answered)
        return self._job.record

    async def done(self) -> OperationRecord:
        """The final record (Succeeded, Failed or Cancelled)."""
        await asyncio.shield(self._job.finished)
        return self._job.record

    def cancel(self) -> bool:
        """Cancel a queued operation, or stop waiting for a running one (the host's job goes on). False if final."""
        return self._job.runner.cancel(self.op_id)


class _Job:
    def __init__(self, runner: OperationRunner, record: OperationRecord, ask_existing: AskExisting | None) -> None:
        loop = asyncio.get_event_loop()
        self.runner = runner
        self.record = record
        self.ask_existing = ask_existing
        self.answered: asyncio.Future[None] = loop.create_future()
        self.finished: asyncio.Future[None] = loop.create_future()
        self.task: asyncio.Task[None] | None = None
        self.pipeline: asyncio.Task[Outcome] | None = None
        self.deadline_timer: asyncio.TimerHandle | None = None


class OperationRunner:
    """Runs one host's operations: queue, concurrency limit, deadlines, progress, then a merged refresh."""

    def __init__(
        self,
        source: InventorySource,
        connect: Callable[[], HostConnection],
        *,
        config: OperationsConfig | None = None,
        listener: RecordListener | None = None,
        merge_window: float = 2.0,
        clock: Callable[[], float] = time.time,
        guest_credentials: GuestCredentials | None = None,
    ) -> None:
        self._source = source
        #: The session's guest accounts, read by a copy out of a guest when it starts (never copied elsewhere).
        self.guest_credentials = guest_credentials
        self.config = config or OperationsConfig()
        self.lane = WorkLane(connect)
        self._listener = listener
        self._clock = clock
        self._jobs: dict[int, _Job] = {}
        self._queue: collections.deque[_Job] = collections.deque()
        self._running: set[_Job] = set()
        #: Work connections lent to copies for their extra files (they count toward the lane's limit).
        self._lent = 0
        self._confirming: set[asyncio.Future[Inventory]] = set()
        self._request_timer: asyncio.TimerHandle | None = None
        self.merge_window = self.config.merge_window if self.config.merge_window is not None else merge_window
        self._closed = False
        self._read_lock = asyncio.Lock()
        #: Whether the stale staged files were swept (once per session, before its first copy).
        self._swept = False
        #: Failed copies' staged files kept for a retry, by op_id (transfer ids).
        self._kept: dict[int, set[str]] = {}
        #: A retry's op_id -> the staged files it took over from the attempt it retries.
        self._inherited: dict[int, set[str]] = {}
        self._housekeeping: set[asyncio.Task[Any]] = set()

    # --- public API -------------------------------------------------------------------------------------

    @property
    def limit(self) -> int:
        return max(1, self.config.limit)

    def submit(
        self, operation: Operation, *, notice: str = "", ask_existing: AskExisting | None = None
    ) -> OperationHandle:
        """Queue `operation`; it starts as soon as a slot of the work lane is free (needs the running loop).

        `notice` is the record's message until the host's answer replaces it, e.g. that the host is not answering.
        `ask_existing` answers a copy's questions about files that exist where they go (the policy Ask).
        """
        if self._closed:
            raise ConnectionFailed("The session is closed; hvgui cannot run more operations on it.")
        job = _Job(self, OperationRecord(operation, queued_at=self._clock(), message=notice), ask_existing)
        self._jobs[job.record.op_id] = job
        self._queue.append(job)
        self._publish(job)
        self._start_next()
        self._forget_old()
        return OperationHandle(job)

    async def read(self, call: Callable[[HostConnection], Awaitable[T]]) -> T:
        """Run a short read that changes nothing (so it is no operation, e.g. listing a guest folder) on a work
        connection, away from the refresh lane. Reads run one at a time, on an idle connection of the lane or
        one more, so the lane holds at most its limit plus one."""
        if self._closed:
            raise ConnectionFailed("The host's session is closing.")
        async with self._read_lock:
            connection = self.lane.take()
            try:
                return await call(connection)
            finally:
                self.lane.give_back(connection)

    def records(self) -> list[OperationRecord]:
        """Every operation this runner knows, oldest first."""
        return [job.record for job in self._jobs.values()]

    def queued(self) -> list[OperationRecord]:
        return [job.record for job in self._queue]

    def running(self) -> list[OperationRecord]:
        """Operations that hold a slot of the work lane (their pipeline runs)."""
        return sorted((job.record for job in self._running), key=lambda r: r.op_id)

    def handle(self, op_id: int) -> OperationHandle | None:
        job = self._jobs.get(op_id)
        return None if job is None else OperationHandle(job)

    def cancel(self, op_id: int) -> bool:
        """Cancel a queued operation (it never runs), or stop a running one's pipeline and stop watching.

        Stopping a pipeline does not stop a job the host already started; the record says so. Returns False
        when there is nothing to cancel (unknown or final).
        """
        job = self._jobs.get(op_id)
        if job is None or job.record.state.is_final:
            return False
        if job in self._queue:
            self._queue.remove(job)
            self._finish(job, OperationState.Cancelled, "Cancelled before it was sent to the host.")
            return True
        if job.task is not None:
            job.task.cancel()
        return True

    def retry(self, op_id: int) -> OperationHandle | None:
        """Run a failed or cancelled copy again (`retry_of`): it takes over what the attempt left staged and
        goes on from it. None when the operation cannot be retried (unknown, not final, not a copy)."""
        job = self._jobs.get(op_id)
        operation = retry_of(job.record) if job is not None else None
        if operation is None:
            return None
        handle = self.submit(operation)
        inherited = self._kept.pop(op_id, set()) | self._inherited.pop(op_id, set())
        if inherited:
            self._inherited[handle.op_id] = inherited
        return handle

    def kept_staged(self, op_id: int) -> tuple[str, ...]:
        """The transfer ids a failed copy left staged on the host for a retry."""
        return tuple(sorted(self._kept.get(op_id, ())))

    def discard_staged(self, op_id: int) -> asyncio.Task[int] | None:
        """Remove what a failed copy left staged for a retry (the admin dismissed it); best effort, on the work
        lane. Returns the task doing it, or None when nothing is kept."""
        transfer_ids = self._kept.pop(op_id, set())
        if not transfer_ids or self._closed:
            return None
        task = asyncio.get_event_loop().create_task(self._discard(transfer_ids), name=f"discard staged {op_id}")
        self._housekeeping.add(task)
        task.add_done_callback(self._housekeeping.discard)
        return task

    async def _discard(self, transfer_ids: set[str]) -> int:
        connection = self.lane.take()
        try:
            return await discard(connection, sorted(transfer_ids))
        finally:
            self.lane.give_back(connection)

    async def aclose(self) -> None:
        """Cancel what is queued, stop waiting for what runs, remove what failed copies kept staged, and close
        the work lane."""
        if self._closed:
            return
        self._closed = True
        for job in list(self._queue):
            self.cancel(job.record.op_id)
        tasks = [job.task for job in self._jobs.values() if job.task is not None and not job.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._request_timer is not None:
            self._request_timer.cancel()
        kept = set().union(*self._kept.values(), *self._inherited.values())
        self._kept.clear()
        self._inherited.clear()
        if self._housekeeping:
            await asyncio.gather(*self._housekeeping, return_exceptions=True)
        if kept:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._discard(kept), HOUSEKEEPING_TIMEOUT)
        await self.lane.close()

    # --- running ----------------------------------------------------------------------------------------

    def _start_next(self) -> None:
        while self._queue and len(self._running) + self._lent < self.limit and not self._closed:
            job = self._queue.popleft()
            self._running.add(job)
            job.task = asyncio.get_event_loop().create_task(self._run(job), name=f"hvgui operation {job.record.op_id}")
            job.task.add_done_callback(lambda task, job=job: self._task_done(job, task))

    async def _run(self, job: _Job) -> None:
        operation = job.record.operation
        deadline = operation.deadline(self.config.deadlines)
        now = self._clock()
        self._update(job, state=OperationState.Running, started_at=now, cancellable=operation.stops_when_cancelled)
        if not operation.stops_when_cancelled:
            # Only a host job outlives its caller; a transfer is hvgui's own calls, each bounded by its own
            # time-out and showing its progress, so no deadline turns it into "still running on the host".
            job.deadline_timer = asyncio.get_event_loop().call_later(deadline, self._deadline_passed, job, deadline)
        watch_until = time.monotonic() + max(self.config.watch_limit, deadline)
        connection = self.lane.take()
        try:
            api = HostApi(connection, clock=self._clock)
            job.pipeline = asyncio.ensure_future(
                self._perform(
                    api,
                    operation,
                    timeout=max(1.0, self.config.watch_limit),
                    on_progress=self._progress(job),
                    guest_credentials=self.guest_credentials,
                    ask_existing=job.ask_existing,
                    extra_lanes=_LentConnections(self),
                )
            )
            outcome: Outcome | None = None
            error: HvGuiError | None = None
            try:
                outcome = await self._pipeline_or_settled(job, watch_until)
            except HvGuiError as exc:
                error = exc
        finally:
            self._release(job, connection)
        await self._conclude(job, outcome, error, watch_until)

    def lend(self) -> HostConnection | None:
        """A work connection for a copy's extra files while the lane has a free slot and nothing waits for one;
        None otherwise (queued operations come before a copy's extra speed)."""
        if self._closed or self._queue or len(self._running) + self._lent >= self.limit:
            return None
        self._lent += 1
        return self.lane.take()

    def take_back(self, connection: HostConnection) -> None:
        self._lent -= 1
        self.lane.give_back(connection)
        self._start_next()

    async def _perform(self, api: HostApi, operation: Operation, **options: Any) -> Outcome:
        """`perform`, after sweeping the host's stale staged files when this is the session's first copy."""
        if isinstance(operation, (CopyToGuestOperation, CopyFromGuestOperation)) and not self._swept:
            self._swept = True
            await sweep_stale(api.connection)
        return await perform(api, operation, **options)

    async def _pipeline_or_settled(self, job: _Job, watch_until: float) -> Outcome | None:
        """The pipeline's outcome; or None when an inventory showed the change done while it still ran."""
        pipeline = job.pipeline
        assert pipeline is not None
        watcher: asyncio.Task[bool] | None = None
        try:
            while True:
                pending: set[asyncio.Future[Any]] = {pipeline}
                if watcher is not None and not watcher.done():
                    pending.add(watcher)
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED, timeout=1.0)
                if pipeline in done:
                    return pipeline.result()
                if watcher is not None and watcher in done and watcher.result():
                    # The host shows the change; its job's pipeline may go on, on its own slot.
                    return None
                if watcher is None and job.record.state is OperationState.StillRunning:
                    watcher = asyncio.ensure_future(self._watch(job, watch_until, quiet=True))
        finally:
            if watcher is not None and not watcher.done():
                watcher.cancel()

    def _release(self, job: _Job, connection: HostConnection) -> None:
        """Free the slot once the pipeline ends (left running, it keeps its connection until it does)."""
        pipeline = job.pipeline

        def free(*_: object) -> None:
            self._running.discard(job)
            self.lane.give_back(connection)
            self._start_next()

        if pipeline is None or pipeline.done():
            free()
        else:
            pipeline.add_done_callback(free)
            pipeline.add_done_callback(_fetch_exception)

    async def _conclude(self, job: _Job, outcome: Outcome | None, error: HvGuiError | None, watch_until: float) -> None:
        operation = job.record.operation
        if isinstance(error, OperationCancelled):  # the admin's answer to one of its questions
            self._finish(job, OperationState.Cancelled, str(error), result=error.result)
            return
        if isinstance(error, HostCommandError):
            await self._fresh_inventory(job)
            self._finish(job, OperationState.Failed, str(error), error=error)
            return
        inventory = await self._fresh_inventory(job)
        vm = _find(inventory, operation)
        settled = operation.settled(vm)
        if error is None:
            warnings = outcome.warnings if outcome is not None else ()
            result = outcome.result if outcome is not None else None
            still_moving = settled is False and vm is not None and vm.state.is_transitional
            if still_moving and not await self._watch(job, watch_until):
                return
            self._finish(job, OperationState.Succeeded, _done_text(job, warnings), warnings=warnings, result=result)
            return
        # The connection failed or timed out: the host may have carried the change out anyway.
        if settled:
            self._finish(job, OperationState.Succeeded, _done_text(job, ()))
        elif not operation.stops_when_cancelled and time.monotonic() >= watch_until:  # out of the watch limit
            self._gave_up(job)
        elif settled is False and vm is not None and vm.state.is_transitional:
            if await self._watch(job, watch_until):
                self._finish(job, OperationState.Succeeded, _done_text(job, ()))
        else:
            self._finish(job, OperationState.Failed, str(error), error=error)

    async def _watch(self, job: _Job, watch_until: float, *, quiet: bool = False) -> bool:
        """Follow the host's inventories until the operation settles. False when hvgui gave up (then the job
        is final, unless `quiet`: the pipeline watcher only reports whether the change showed)."""
        operation = job.record.operation
        while True:
            remaining = watch_until - time.monotonic()
            if remaining <= 0:
                if not quiet:
                    self._gave_up(job)
                return False
            try:
                inventory = await asyncio.wait_for(self._source.next_inventory(request=False), remaining)
            except Exception:  # no answer yet, or the host is failing (its session says so): keep watching
                continue
            vm = _find(inventory, operation)
            settled = operation.settled(vm)
            if settled:
                return True
            if not quiet and (vm is None or not vm.state.is_transitional):
                # The job ended in another state than the one asked for (or the VM went away): nothing to wait for.
                return True

    def _gave_up(self, job: _Job) -> None:
        limit = self.config.watch_limit
        waited = f"{limit / 60:g} min" if limit >= 120 else f"{limit:g} s"
        self._finish(
            job,
            OperationState.Failed,
            f"hvgui stopped watching after {waited}: the host has not shown the change. It may still finish "
            "the job; the VM list shows what the host reports.",
        )

    async def _fresh_inventory(self, job: _Job) -> Inventory | None:
        """The first inventory that starts after now (the last one if it does not come): see `_confirmation`."""
        try:
            return await asyncio.wait_for(self._confirmation(), self.config.confirm_wait)
        except Exception as exc:  # the host is failing: the session shows why; conclude on what is known
            log.info("no refresh after operation %d: %r", job.record.op_id, exc)
            return self._source.inventory

    def _confirmation(self) -> asyncio.Future[Inventory]:
        """Wait for the refresh schedule; ask for an inventory only when the schedule brings none (see
        `_request_if_waiting`).

        Every operation that finishes meanwhile shares that one request, and under the 2 s schedule they
        rarely ask at all, so finished operations add few inventories to the host's load.
        """
        future = self._source.next_inventory(request=False)
        self._confirming.add(future)
        future.add_done_callback(self._confirming.discard)
        if self._request_timer is None:
            self._request_timer = asyncio.get_event_loop().call_later(self.merge_window, self._request_if_waiting)
        return future

    def _request_if_waiting(self) -> None:
        self._request_timer = None
        if not any(not future.done() for future in self._confirming):
            return
        # An inventory in the last two windows means the schedule is delivering (it starts the next one a
        # refresh interval after the last arrived, and that one may be on its way now): wait for it. Past
        # that, the schedule is slower than the window, or stalled: ask.
        last = self._source.inventory
        quiet_for = time.time() - last.fetched_at if last is not None else math.inf  # fetched_at is time.time()
        patience = 2 * self.merge_window
        if quiet_for < patience:
            wait = patience - max(0.0, quiet_for)
            self._request_timer = asyncio.get_event_loop().call_later(wait, self._request_if_waiting)
            return
        self._source.refresh_now()

    def _deadline_passed(self, job: _Job, deadline: float) -> None:
        if job.record.state is OperationState.Running:
            self._update(
                job,
                state=OperationState.StillRunning,
                message=f"Still running on the host after {deadline:g} s; hvgui keeps watching the VM.",
            )
            _resolve(job.answered)

    def _progress(self, job: _Job) -> Callable[[OperationProgress], None]:
        def on_progress(progress: OperationProgress) -> None:
            if not job.record.state.is_final and progress != job.record.progress:
                self._update(job, progress=progress)

        return on_progress

    def _task_done(self, job: _Job, task: asyncio.Task[None]) -> None:
        if job.record.state.is_final:
            return
        if task.cancelled():
            pipeline = job.pipeline
            if pipeline is not None and not pipeline.done() and job.record.operation.stops_when_cancelled:
                pipeline.cancel()  # hvgui's own work (a transfer): it stops between calls and cleans up
                message = "Cancelled: hvgui stopped it and removes what it staged on the host."
            elif pipeline is not None and not pipeline.done():
                pipeline.cancel()  # stops the pipeline on the host; a job the host already started goes on
                message = (
                    "hvgui stopped waiting and stopped the command. A job the host had already started goes on; "
                    "the VM list shows what the host reports."
                )
            else:
                message = "hvgui stopped watching; the host had run the command. The VM list shows its state."
            self._finish(job, OperationState.Cancelled, message)
            if job.pipeline is None:
                self._running.discard(job)
                self._start_next()
            self._request_refresh()
            return
        exc = task.exception()
        log.error("operation %d failed unexpectedly", job.record.op_id, exc_info=exc)
        self._finish(job, OperationState.Failed, f"unexpected error in hvgui: {exc!r}")

    def _request_refresh(self) -> None:
        with contextlib.suppress(Exception):
            self._source.refresh_now()

    # --- records ----------------------------------------------------------------------------------------

    def _finish(self, job: _Job, state: OperationState, message: str, **changes: Any) -> None:
        if job.deadline_timer is not None:
            job.deadline_timer.cancel()
        self._update(job, state=state, message=message, ended_at=self._clock(), cancellable=False, **changes)
        self._keep_staged(job)
        _resolve(job.answered)
        _resolve(job.finished)

    def _keep_staged(self, job: _Job) -> None:
        """Note what a failed copy keeps staged for a retry. A retry's failure keeps what it took over too (it
        may not have reached those files); a retry that was cancelled removes it."""
        op_id = job.record.op_id
        kept = set(staged_transfers(job.record)) | self._inherited.pop(op_id, set())
        if not kept:
            return
        if job.record.state is OperationState.Failed:
            self._kept[op_id] = kept
        elif job.record.state is OperationState.Cancelled:
            self._kept[op_id] = kept
            self.discard_staged(op_id)

    def _update(self, job: _Job, **changes: Any) -> None:
        job.record = job.record.advanced(**changes)
        self._publish(job)

    def _publish(self, job: _Job) -> None:
        if self._listener is None:
            return
        try:
            self._listener(job.record)
        except Exception as exc:  # a display problem must never stop an operation
            asyncio.get_event_loop().call_exception_handler(
                {"message": f"operation listener {self._listener!r} failed", "exception": exc}
            )

    def _forget_old(self) -> None:
        final = [op_id for op_id, job in self._jobs.items() if job.record.state.is_final]
        for op_id in final[: max(0, len(final) - HISTORY)]:
            del self._jobs[op_id]


def _find(inventory: Inventory | None, operation: Operation) -> Vm | None:
    if inventory is None:
        return None
    return next((vm for vm in inventory.vms if vm.vm_id == operation.target.vm_id), None)


def _done_text(job: _Job, warnings: tuple[str, ...]) -> str:
    text = f"{job.record.operation.title}: done."
    if warnings:
        text += " The host warned: " + " ".join(warnings)
    return text


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class _LentConnections:
    """`ExtraLanes` for one copy: the runner's spare work connections."""

    def __init__(self, runner: OperationRunner) -> None:
        self._runner = runner

    def take(self) -> HostConnection | None:
        return self._runner.lend()

    def give_back(self, connection: HostConnection) -> None:
        self._runner.take_back(connection)


def _fetch_exception(future: asyncio.Future[Any]) -> None:
    """Fetch a result nobody awaits, so asyncio does not warn about it."""
    if not future.cancelled():
        future.exception()
