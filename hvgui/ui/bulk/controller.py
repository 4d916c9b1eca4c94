"""`BulkApplyController`: owns the task that applies a plan of integration-service changes.

The dialog only calls `start`, `stop` and `cancel` and listens to signals; it never awaits. Each change is
a `ServiceToggleOperation` submitted to its host's one command path (`HostSession.operations`), so bulk
changes share the work lane, the queue, the merged refreshes and the Activity panel with every other
operation. Changes run one after another on each host and hosts in parallel, so that Stop can take effect
between two changes: a change already sent finishes and is reported, the ones not yet sent are reported as
not attempted. Every change of the plan ends with exactly one result, whatever happens (a refused change,
a host that drops, a stop, a cancel).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from hvgui.domain.bulk import ChangeResult, PlannedChange, ResultKind
from hvgui.domain.connection import HostState
from hvgui.domain.errors import HostCommandError, HvGuiError
from hvgui.domain.operations import OperationRecord, OperationState, ServiceToggleOperation, VmTarget

if TYPE_CHECKING:
    from hvgui.remoting import HostSession

log = logging.getLogger(__name__)

#: Finds the session of a host key (`VmKey.host`); None when hvgui is no longer connected to it.
SessionLookup = Callable[[str], "HostSession | None"]

STOPPED_REASON = "the apply was stopped before it was sent."


class _TaskHolder:
    """What outlives the controller's C++ object: whether it still exists, and its task to cancel if not."""

    def __init__(self) -> None:
        self.task: asyncio.Task[None] | None = None
        self.alive = True

    def destroyed(self) -> None:
        self.alive = False
        if self.task is not None and not self.task.done():
            self.task.cancel()


class BulkApplyController(QObject):
    """Applies one plan at a time and reports each change as it settles."""

    #: The plan started: (number of changes).
    started = Signal(int)
    #: A change was sent to its host: (its index in the plan).
    changeStarted = Signal(int)
    #: A change settled: (its index in the plan, its ChangeResult).
    resultReady = Signal(int, object)
    #: Every change has a result: (list[ChangeResult] in the plan's order).
    finished = Signal(object)

    def __init__(self, sessions: SessionLookup, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sessions = sessions
        self._plan: list[PlannedChange] = []
        self._results: list[ChangeResult | None] = []
        self._in_flight: set[int] = set()
        self._task: asyncio.Task[None] | None = None
        self._stop_requested = False
        # If the controller is destroyed mid-apply (its parent window went away), the apply is cancelled; the
        # slot must not be a method of the dying object, so it captures only the task holder.
        holder = self._holder = _TaskHolder()
        self.destroyed.connect(lambda *_: holder.destroyed())

    # ---- state ---------------------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def results(self) -> list[ChangeResult | None]:
        return list(self._results)

    # ---- intents -------------------------------------------------------------------------------

    def start(self, plan: Sequence[PlannedChange]) -> None:
        """Apply `plan` (needs the running loop); progress arrives through the signals."""
        if self.is_running:
            raise RuntimeError("an apply is already running")
        self._plan = list(plan)
        self._results = [None] * len(self._plan)
        self._in_flight.clear()
        self._stop_requested = False
        self.started.emit(len(self._plan))
        self._task = asyncio.get_event_loop().create_task(self._run(), name="hvgui bulk apply")
        self._task.add_done_callback(self._task_done)
        self._holder.task = self._task

    def stop(self) -> None:
        """Send nothing more; changes already sent finish and are reported, the rest are not attempted."""
        if self.is_running:
            self._stop_requested = True

    def cancel(self) -> None:
        """Stop at once, without waiting for the changes under way (they are reported as unconfirmed)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def aclose(self) -> None:
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await asyncio.sleep(0)  # let the done callback settle the results and emit `finished`

    # ---- the work ------------------------------------------------------------------------------

    async def _run(self) -> None:
        runs = [self._run_host(host, indices) for host, indices in self._by_host().items()]
        # Every host runs to its end even if another one hits a defect; only then is the defect raised.
        outcomes = await asyncio.gather(*runs, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    def _by_host(self) -> dict[str, list[int]]:
        by_host: dict[str, list[int]] = {}
        for index, change in enumerate(self._plan):
            by_host.setdefault(change.host, []).append(index)
        return by_host

    def _task_done(self, task: asyncio.Task[None]) -> None:
        """Whatever ended the task (the end of the plan, a cancel, a defect): every change gets its result and
        `finished` is emitted exactly once (each change's operation already refreshed its host)."""
        if not self._holder.alive or task is not self._task:
            return
        if task.cancelled():
            self._settle_the_rest("the apply was cancelled")
        elif (exc := task.exception()) is not None:
            log.error("bulk apply failed unexpectedly", exc_info=exc)
            self._settle_the_rest(f"hvgui stopped on an unexpected error ({exc!r})")
        self.finished.emit([r for r in self._results if r is not None])

    async def _run_host(self, host: str, indices: list[int]) -> None:
        session = self._session(host)
        unavailable = self._unavailable_reason(host, session)
        if unavailable is not None:
            for index in indices:
                self._record(index, ChangeResult.not_attempted(self._plan[index], unavailable))
            return
        assert session is not None
        broken: str | None = None
        for index in indices:
            change = self._plan[index]
            if self._stop_requested:
                self._record(index, ChangeResult.not_attempted(change, STOPPED_REASON))
                continue
            if broken is not None:
                self._record(index, ChangeResult.not_attempted(change, broken))
                continue
            self._in_flight.add(index)
            if self._holder.alive:
                self.changeStarted.emit(index)
            result = await self._apply_one(session, change)
            self._in_flight.discard(index)
            self._record(index, result)
            if result.kind is ResultKind.Unknown:
                label = session.settings.label
                broken = f"the connection to {label} failed during an earlier change, so it was not sent."

    @staticmethod
    async def _apply_one(session: HostSession, change: PlannedChange) -> ChangeResult:
        """Run one change through the host's operations runner and say how it ended."""
        target = VmTarget(
            host=change.host, computer_name=session.settings.host, vm_id=change.vm_key.vm_id, vm_name=change.vm_name
        )
        operation = ServiceToggleOperation(
            target, ic_guid=change.ic_guid, enable=change.enable, service_name=change.service_name
        )
        try:
            handle = session.operations.submit(operation)
        except HvGuiError as exc:  # the session closed meanwhile
            return ChangeResult.not_attempted(change, str(exc))
        try:
            record = await handle.done()
        except asyncio.CancelledError:
            handle.cancel()  # stop the pipeline too; the result says the change is unconfirmed
            raise
        return change_result(change, record)

    def _unavailable_reason(self, host: str, session: HostSession | None) -> str | None:
        """Why nothing can be sent to a host (not connected, or its last attempt failed), or None."""
        if session is None:
            return f"hvgui is not connected to {host}."
        status = session.status
        if status.state is HostState.Connected:
            return None
        label = session.settings.label
        if status.error is not None:
            return f"{label} is not answering ({status.error}); retry the host, then apply again."
        return f"{label} is not connected ({status.state.value}); apply again once it is."

    def _session(self, host: str) -> HostSession | None:
        try:
            return self._sessions(host)
        except KeyError:
            return None

    def _record(self, index: int, result: ChangeResult) -> None:
        if self._results[index] is not None:
            return
        self._results[index] = result
        if self._holder.alive:
            self.resultReady.emit(index, result)

    def _settle_the_rest(self, why: str) -> None:
        """The changes left without a result: those under way are unconfirmed, the others not attempted."""
        for index, change in enumerate(self._plan):
            if self._results[index] is not None:
                continue
            if index in self._in_flight:
                message = (
                    f"{change.description}: {why} while the change was under way; hvgui cannot tell whether it "
                    "was made. The next refresh of the host shows the truth."
                )
                self._record(index, ChangeResult(change, False, message, ResultKind.Unknown))
            else:
                self._record(index, ChangeResult.not_attempted(change, f"{why} before it was sent."))
        self._in_flight.clear()


def change_result(change: PlannedChange, record: OperationRecord) -> ChangeResult:
    """A final operation record as the bulk dialog's row shows it."""
    if record.state is OperationState.Succeeded:
        return ChangeResult.done(change, record.warnings)
    if record.state is OperationState.Cancelled and record.started_at is None:
        return ChangeResult.not_attempted(change, "it was cancelled before it was sent.")
    if record.state is OperationState.Cancelled:
        return ChangeResult(
            change,
            False,
            f"{change.description}: {record.message} hvgui cannot tell whether the change was made.",
            ResultKind.Unknown,
        )
    if record.error is None or isinstance(record.error, HostCommandError):
        return ChangeResult.failed(change, record.message)
    return ChangeResult.unknown(change, record.message)
