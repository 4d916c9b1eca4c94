"""`HostConnection`: one host's WinRM session, driven from one worker thread.

pypsrp blocks, and a RunspacePool is not thread-safe (its serializer state races). So each host gets one
single-thread executor; the WSMan transport and the RunspacePool are created, used and closed only on that
thread, and the asyncio loop only awaits futures. The pool opens lazily on the first call and loads hvgui's
host module once. A call that is cancelled or runs out of time stops its pipeline from the worker; when
the pool's state is in doubt (the connection dropped, a stop failed) the pool is discarded, so the next
call opens a fresh one, and the dropped pool's shell is deleted on the host in the background (a host
keeps an abandoned shell for hours and counts it against the user's shell quota). A worker stuck in a
blocking request is retired and replaced, so one hung socket never wedges the host for good.

Time-outs: each Receive asks the host to answer within `poll_interval` seconds (its WS-Man
OperationTimeout), which keeps cancellation responsive, while the HTTP read time-out is well above that
(`READ_TIMEOUT_MARGIN`), so a host that stalls for a few seconds is waited for instead of being sent the
same Receive again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pypsrp.complex_objects import PSInvocationState
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.domain.connection import AuthMethod, ConnectionSettings
from hvgui.domain.errors import ConnectionFailed, HostCommandError, HvGuiError, OperationTimedOut
from hvgui.domain.operations import OperationProgress
from hvgui.remoting.errors import ErrorContext, host_command_error, map_exception
from hvgui.remoting.pipeline import PipelineSpec
from hvgui.remoting.shell_delete import delete_shell_in_background
from hvgui.remoting.transport import ChallengeLog, open_wsman
from hvgui.remoting.unreadable import split_unreadable

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds a Receive waits on the host before the worker looks at cancellation and the deadline again.
DEFAULT_POLL_INTERVAL = 1
#: Seconds the HTTP read time-out exceeds the WS-Man OperationTimeout: how long a host may stall (a busy
#: WMI provider, a host under memory pressure) before the request counts as lost.
READ_TIMEOUT_MARGIN = 15


@dataclass(frozen=True)
class PipelineResult:
    """What a pipeline that ran to the end produced. Non-terminating host errors are in `errors`."""

    output: tuple[Any, ...]
    errors: tuple[HostCommandError, ...] = ()
    warnings: tuple[str, ...] = ()
    #: Objects the host sent that could not be read (logged, left out of `output`): the output is incomplete.
    unreadable: int = 0


def wsman_options(
    settings: ConnectionSettings, password: str, *, connect_timeout: float, operation_timeout: float
) -> dict[str, Any]:
    """pypsrp `WSMan` keyword arguments for a host's settings.

    Basic authentication over plain HTTP is only possible without message encryption (pypsrp refuses it
    otherwise, and Basic has no encryption of its own); every other combination lets pypsrp encrypt.
    The HTTP read timeout exceeds the WS-Man operation timeout by `READ_TIMEOUT_MARGIN`, so the host's
    own timeout fault arrives before the socket gives up, even from a host that pauses for seconds.
    A pinned certificate turns chain checking off: `open_wsman` checks the fingerprint instead.
    """
    plain_basic = settings.auth is AuthMethod.Basic and not settings.use_https
    if settings.use_https and settings.pinned_sha256:
        cert_validation: bool | str = False  # the pinned fingerprint is the check (see `open_wsman`)
    elif settings.use_https and settings.verify_certificate and settings.ca_file:
        cert_validation = settings.ca_file
    else:
        cert_validation = settings.verify_certificate
    wsman_timeout = max(1, math.ceil(operation_timeout))
    return {
        "server": settings.host,
        "port": settings.port,
        "username": settings.username or None,
        "password": password or None,
        "ssl": settings.use_https,
        "path": "wsman",
        "auth": settings.auth.value,
        "encryption": "never" if plain_basic else "auto",
        "cert_validation": cert_validation,
        "connection_timeout": connect_timeout,
        "operation_timeout": wsman_timeout,
        "read_timeout": wsman_timeout + READ_TIMEOUT_MARGIN,
        "reconnection_retries": 0,
        # pypsrp re-sends a timed-out Receive up to five times and sleeps `backoff * (2**n - 1)` between
        # tries; keep those sleeps short so a dead host is reported in seconds, not minutes.
        "reconnection_backoff": 0.1,
    }


class _CallCancelled(Exception):
    """The caller gave up on the call; the worker stopped the pipeline cleanly (the pool is fine)."""


class _DeadlinePassed(Exception):
    """The call's time ran out on the worker, which stopped the pipeline (the pool is fine unless the stop failed)."""


class _WorkerRetired(Exception):
    """The call was queued on a worker that has since been retired; run it on the current one."""


@dataclass
class _Call:
    spec: PipelineSpec
    deadline: float  # time.monotonic()
    cancelled: threading.Event = field(default_factory=threading.Event)
    #: Called on the loop thread with each progress record the host writes (None: progress is ignored).
    on_progress: Callable[[OperationProgress], None] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    #: Called on the worker thread with the output objects of each Receive as they arrive; they are then not
    #: kept (a pipeline that streams for hours does not grow). None: the output is returned at the end.
    on_output: Callable[[list[Any]], None] | None = None
    #: Work on the result that runs on the worker thread too (`HostConnection.run_then`).
    then: Callable[[PipelineResult], Any] | None = None

    def report_progress(self, records: list[Any], seen: int) -> int:
        """Hand the progress records after the first `seen` to the loop thread; returns how many were seen."""
        if self.on_progress is None or self.loop is None or len(records) <= seen:
            return len(records)
        for record in records[seen:]:
            progress = progress_of(record)
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening any more
                self.loop.call_soon_threadsafe(self.on_progress, progress)
        return len(records)


def progress_of(record: Any) -> OperationProgress:
    """A pypsrp `ProgressRecord` as hvgui shows it: the percentage (None while unknown) and the host's words.

    The Hyper-V module's job watcher writes Activity = the job's name ("Shut down a virtual machine") and
    StatusDescription = just the percentage ("45%"), so the activity is the text; a status that says more
    than the percentage is added to it.
    """
    percent = getattr(record, "percent_complete", None)
    if not isinstance(percent, int) or not 0 <= percent <= 100:
        percent = None
    status = str(getattr(record, "description", "") or "").strip()  # StatusDescription on the wire
    activity = str(getattr(record, "activity", "") or "").strip()
    if not status or _PERCENT_ONLY.match(status) or status == activity:
        text = activity or status
    else:
        text = f"{activity}: {status}" if activity else status
    return OperationProgress(percent=percent, text=text)


_PERCENT_ONLY = re.compile(r"^\d{1,3}\s*%$")


class _Worker:
    """One thread plus the pypsrp objects that only this thread may touch."""

    def __init__(self, connection: HostConnection, generation: int) -> None:
        self._connection = connection
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"hvgui-{connection.settings.host}-{generation}"
        )
        self._wsman: WSMan | None = None
        self._pool: RunspacePool | None = None
        self._pool_credentials = -1  # the connection's credentials generation the pool was opened with
        self.retired = False

    def shell_of_pool(self) -> tuple[str, str] | None:
        """(resource URI, ShellId) of the open pool; read from the loop thread when the worker is stuck."""
        pool = self._pool
        return None if pool is None else (pool.shell.resource_uri, pool.id)

    # Everything below runs on self.executor's thread.

    def execute_then(self, call: _Call) -> Any:
        """`execute`, then the call's `then` on the result (outside `execute`'s error mapping: a failure of
        `then` is not a failure of the connection)."""
        result = self.execute(call)
        return result if call.then is None else call.then(result)

    def execute(self, call: _Call) -> PipelineResult:
        if self.retired:
            raise _WorkerRetired
        if call.cancelled.is_set():
            raise _CallCancelled
        connection = self._connection
        if self._pool is not None and self._pool_credentials != connection.credentials_generation:
            self.discard_pool(reason="the credentials changed")
        try:
            pool = self._ensure_pool(call)
            return self._invoke(pool, call.spec, call)
        except (_CallCancelled, HostCommandError):
            raise
        except _DeadlinePassed as exc:
            raise OperationTimedOut(str(exc), hint="The host may be busy; the command was stopped.") from None
        except Exception as exc:
            error = map_exception(exc, connection.error_context, offered=connection.challenges.offered)
            self.discard_pool(reason=str(error))
            raise error from exc

    def _ensure_pool(self, call: _Call) -> RunspacePool:
        """The open pool with hvgui's module loaded; a pool is only kept once its module loaded."""
        if self._pool is not None:
            return self._pool
        connection = self._connection
        credentials = connection.credentials_generation
        wsman = open_wsman(
            connection.wsman_options(), pinned_sha256=connection.pinned_sha256, challenges=connection.challenges
        )
        pool = RunspacePool(wsman, max_runspaces=1)
        try:
            pool.open()
        except BaseException:
            wsman.close()
            if pool.shell.opened:  # the host created the shell but the pool never opened on it
                connection.delete_shell_later(pool.shell.resource_uri, pool.id)
            raise
        self._pool, self._wsman = pool, wsman
        self._pool_credentials = credentials
        connection.pools_opened += 1
        log.info("opened a runspace pool on %s", connection.error_context.endpoint)
        try:
            loaded = self._invoke(pool, PipelineSpec.host_module_loader(), call)
            if loaded.errors:
                raise loaded.errors[0]
        except HostCommandError as exc:
            self.discard_pool(reason="the host module did not load")
            raise HostCommandError(
                f"The host refused hvgui's PowerShell module: {exc.message}",
                fully_qualified_error_id=exc.fully_qualified_error_id,
                category=exc.category,
                target=exc.target,
                hint="hvgui loads a small module into its session; the endpoint must allow scripts "
                "(the default Microsoft.PowerShell endpoint does; a restricted or JEA endpoint does not).",
            ) from exc
        except BaseException:
            self.discard_pool(reason="the host module did not load")
            raise
        connection.module_loads += 1
        return pool

    def _invoke(self, pool: RunspacePool, spec: PipelineSpec, call: _Call) -> PipelineResult:
        connection = self._connection
        if spec.carries_secret:
            pool.exchange_keys()  # once per pool: the session key that encrypts a credential's SecureString
        ps = PowerShell(pool)
        spec.apply(ps)
        ps.begin_invoke()
        progress_seen = 0
        while ps.state == PSInvocationState.RUNNING:
            if call.cancelled.is_set():
                self._stop(ps)
                raise _CallCancelled
            remaining = call.deadline - time.monotonic()
            if remaining <= 0:
                self._stop(ps)
                raise _DeadlinePassed(
                    f"{connection.error_context.endpoint} did not finish {spec.first_command} in time."
                )
            with _operation_timeout(pool.connection, max(1, min(connection.poll_interval, math.ceil(remaining)))):
                # No timeout argument: pypsrp would make it the HTTP read time-out too (plus 2 s), and
                # re-send the Receive of a host that merely paused.
                ps.poll_invoke()
            progress_seen = call.report_progress(ps.streams.progress, progress_seen)
            if call.on_output is not None and ps.output:
                arrived = list(ps.output)
                ps.output.clear()
                call.on_output(arrived)
        errors = tuple(host_command_error(record, spec.first_command) for record in ps.streams.error)
        warnings = tuple(str(getattr(w, "message", w)) for w in ps.streams.warning)
        output, unreadable = split_unreadable(
            ps.output, command=spec.first_command, endpoint=connection.error_context.endpoint
        )
        failed = ps.state == PSInvocationState.FAILED
        self._close_pipeline(ps)
        if failed:
            # The terminating ErrorRecord arrives with the Failed state, after any non-terminating ones.
            if errors:
                raise errors[-1]
            raise HostCommandError(f"{spec.first_command} failed on the host without an error record.")
        return PipelineResult(output, errors, warnings, unreadable)

    def _stop(self, ps: PowerShell) -> None:
        """Stop a running pipeline (ctrl_c); if the host does not take it, the pool cannot be trusted."""
        try:
            ps.stop()
        except Exception as exc:
            log.info("stopping a pipeline failed (%s); discarding the pool", exc)
            self.discard_pool(reason="stop failed")
            return
        self._close_pipeline(ps)

    def _close_pipeline(self, ps: PowerShell) -> None:
        """Release the pipeline on the host (WinRM counts open operations per user) and in pypsrp's registry."""
        try:
            ps.close()
        except Exception as exc:
            log.debug("closing a pipeline failed: %s", exc)
            self._pool_pipelines_forget(ps)

    def _pool_pipelines_forget(self, ps: PowerShell) -> None:
        if self._pool is not None:
            self._pool.pipelines.pop(ps.id, None)

    def discard_pool(self, *, reason: str) -> None:
        """Forget the pool, so that the next call opens a new one, and have its shell deleted on the host
        in the background (best effort, short deadline: the worker does not wait)."""
        pool, wsman = self._pool, self._wsman
        self._pool, self._wsman = None, None
        if pool is None:
            return
        log.info("discarding the runspace pool on %s: %s", self._connection.error_context.endpoint, reason)
        if wsman is not None:
            wsman.close()
        self._connection.delete_shell_later(pool.shell.resource_uri, pool.id)

    def dispose(self) -> None:
        """Close the pool for good (the connection is closing or this worker was retired).

        A healthy pool is closed in order over its own connection; if that fails, or the worker was
        retired as stuck, the background Delete takes over (it is sent once per shell)."""
        self.retired = True
        pool = self._pool
        if pool is not None and not self._connection.shell_deleted(pool.id):
            try:
                pool.close()
            except Exception as exc:
                log.debug("closing the pool failed (%s); deleting its shell in the background", exc)
            else:
                self._connection.mark_shell_deleted(pool.id)
        self.discard_pool(reason="closing")


class HostConnection:
    """One host: one worker thread, one lazily opened RunspacePool with hvgui's module loaded."""

    def __init__(
        self,
        settings: ConnectionSettings,
        password: str,
        *,
        connect_timeout: float = 10.0,
        operation_timeout: float = 20.0,
        poll_interval: int = DEFAULT_POLL_INTERVAL,
        read_timeout: float | None = None,
    ) -> None:
        self.settings = settings
        self._password = password
        self.connect_timeout = connect_timeout
        self.operation_timeout = operation_timeout
        self.poll_interval = max(1, int(poll_interval))
        self._read_timeout = read_timeout
        #: The schemes the host offered in its last 401, to tell a refused method from a wrong password.
        self.challenges = ChallengeLog()
        options = self.wsman_options()
        self.error_context = ErrorContext(settings, connect_timeout, float(options["read_timeout"]))
        #: Bumped by `update_credentials`; a pool opened with older credentials is dropped before the next call.
        self.credentials_generation = 0
        #: Pools opened and module loads done over this connection's life (one load per pool).
        self.pools_opened = 0
        self.module_loads = 0
        #: Background Deletes of dropped shells, by ShellId (tests join them).
        self.shell_deletes: dict[str, threading.Thread] = {}
        self._deleted_shells: set[str] = set()
        self._deletes_lock = threading.Lock()
        self._generation = 0
        self._worker = _Worker(self, self._generation)
        self._closed = False

    @property
    def key(self) -> str:
        return self.settings.key

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pinned_sha256(self) -> str | None:
        """The certificate fingerprint this connection insists on (HTTPS with a pinned certificate only)."""
        return self.settings.pinned_sha256 if self.settings.use_https else None

    def wsman_options(self) -> dict[str, Any]:
        options = wsman_options(
            self.settings,
            self._password,
            connect_timeout=self.connect_timeout,
            operation_timeout=self.operation_timeout,
        )
        if self._read_timeout is not None:
            options["read_timeout"] = self._read_timeout
        return options

    def update_credentials(self, settings: ConnectionSettings, password: str) -> None:
        """Use a new user name and password (same listener) from the next call on.

        The current pool, opened with the old credentials, is dropped by its worker before that call.
        """
        if settings.key != self.settings.key:
            raise ValueError(f"{settings.key} is another listener than {self.settings.key}")
        self.settings = settings
        self._password = password
        self.error_context = ErrorContext(settings, self.connect_timeout, self.error_context.read_timeout)
        self.credentials_generation += 1

    # --- dropped shells (any thread) ----------------------------------------------------------------------

    def delete_shell_later(self, resource_uri: str, shell_id: str) -> None:
        """Delete a dropped shell on the host in the background, once per shell."""
        with self._deletes_lock:
            if shell_id in self._deleted_shells:
                return
            self._deleted_shells.add(shell_id)
        self.shell_deletes[shell_id] = delete_shell_in_background(
            self.wsman_options(), resource_uri, shell_id, pinned_sha256=self.pinned_sha256
        )

    def mark_shell_deleted(self, shell_id: str) -> None:
        with self._deletes_lock:
            self._deleted_shells.add(shell_id)

    def shell_deleted(self, shell_id: str) -> bool:
        with self._deletes_lock:
            return shell_id in self._deleted_shells

    @property
    def _grace(self) -> float:
        """How long past its deadline a call may take before its worker counts as stuck."""
        return self.error_context.read_timeout + self.poll_interval + 2

    async def run(
        self,
        spec: PipelineSpec,
        *,
        timeout: float | None = None,
        on_progress: Callable[[OperationProgress], None] | None = None,
        on_output: Callable[[list[Any]], None] | None = None,
    ) -> PipelineResult:
        """Run one pipeline on the host and return its output.

        Raises HostCommandError when the pipeline failed (a terminating error), and the other HvGuiError
        kinds when the host could not be reached or did not answer in `timeout` seconds (default: the
        connection's operation timeout). Cancelling the awaiting task stops the pipeline on the host.
        `on_progress` is called on the loop thread with each progress record the host writes while it runs.
        `on_output`, for a pipeline that streams (a watcher), is called on the worker thread with the objects of
        each Receive as they arrive (unread: the caller parses them there, off the loop thread); the result then
        holds only what came with the pipeline's end.
        """
        return await self._call(spec, timeout, on_progress, None, on_output)

    async def run_then(
        self, spec: PipelineSpec, then: Callable[[PipelineResult], T], *, timeout: float | None = None
    ) -> T:
        """Run one pipeline like `run`, then `then(result)` on the same worker thread, and return what it
        returns.

        For work on the answer that is too heavy for the loop thread (the Qt thread under qasync): decoding
        and comparing a 1,000-VM inventory would freeze the window. What `then` raises reaches the caller
        as it is; it does not count against the connection (the pool stays open).
        """
        return await self._call(spec, timeout, None, then)

    async def _call(
        self,
        spec: PipelineSpec,
        timeout: float | None,
        on_progress: Callable[[OperationProgress], None] | None,
        then: Callable[[PipelineResult], Any] | None,
        on_output: Callable[[list[Any]], None] | None = None,
    ) -> Any:
        if self._closed:
            raise ConnectionFailed(f"The connection to {self.error_context.endpoint} is closed.")
        limit = self.operation_timeout if timeout is None else timeout
        call = _Call(
            spec,
            deadline=time.monotonic() + limit,
            on_progress=on_progress,
            loop=asyncio.get_event_loop(),
            on_output=on_output,
            then=then,
        )
        while True:
            worker = self._worker
            try:
                return await self._run_on(worker, call, limit)
            except _WorkerRetired:
                if self._closed:
                    raise ConnectionFailed(f"The connection to {self.error_context.endpoint} is closed.") from None
                continue
            except _CallCancelled:
                # The worker saw the cancel flag; only this task can have set it.
                raise asyncio.CancelledError from None

    async def _run_on(self, worker: _Worker, call: _Call, limit: float) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(worker.executor, worker.execute_then, call)
        future.add_done_callback(_consume_exception)
        try:
            return await asyncio.wait_for(asyncio.shield(future), limit + self._grace)
        except TimeoutError:
            call.cancelled.set()
            self._retire(worker)
            raise OperationTimedOut(
                f"{self.error_context.endpoint} did not answer {call.spec.first_command} within {limit:g} s.",
                hint="The connection was reset; hvgui reconnects on the next call.",
            ) from None
        except asyncio.CancelledError:
            call.cancelled.set()
            loop.call_later(self._grace + limit, self._retire_if_running, worker, future)
            raise

    def _retire_if_running(self, worker: _Worker, future: asyncio.Future[Any]) -> None:
        if not future.done():
            self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        """Replace a stuck worker: its thread finishes its blocking call in the background, then closes."""
        if worker is not self._worker or self._closed:
            return
        log.warning("the worker for %s is stuck; starting a new one", self.error_context.endpoint)
        worker.retired = True
        shell = worker.shell_of_pool()
        if shell is not None:  # the stuck thread may wait minutes more; free the host's shell now
            self.delete_shell_later(*shell)
        self._generation += 1
        self._worker = _Worker(self, self._generation)
        worker.executor.submit(worker.dispose)
        worker.executor.shutdown(wait=False)

    async def close(self) -> None:
        """Close the pool on its own thread and end the thread. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        worker = self._worker
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(worker.executor, worker.dispose)
            await asyncio.wait_for(asyncio.shield(future), self._grace)
        except TimeoutError:
            log.warning("closing %s took too long; leaving it to finish in the background", self.key)
        except HvGuiError as exc:  # pragma: no cover - dispose swallows transport errors
            log.info("closing %s: %s", self.key, exc)
        finally:
            worker.executor.shutdown(wait=False)

    def __repr__(self) -> str:
        return f"HostConnection({self.key!r}, pools_opened={self.pools_opened})"


@contextlib.contextmanager
def _operation_timeout(wsman: WSMan, seconds: int) -> Iterator[None]:
    """Requests sent inside ask the host for an answer within `seconds` (WS-Man OperationTimeout), while
    the HTTP read time-out stays the WSMan's own (`READ_TIMEOUT_MARGIN` above the default)."""
    default = wsman.operation_timeout
    wsman.operation_timeout = seconds
    try:
        yield
    finally:
        wsman.operation_timeout = default


def _consume_exception(future: asyncio.Future[Any]) -> None:
    """Fetch a result nobody awaits any more (the caller gave up), so asyncio does not warn about it."""
    if not future.cancelled():
        future.exception()
