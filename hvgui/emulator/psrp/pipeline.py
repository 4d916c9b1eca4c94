"""One pipeline of a runspace pool: its psrpcore state, its input, its worker thread and its sink.

The runtime runs the pipeline on a worker thread of its own and reports through a sink; every write
goes through psrpcore under the pool's lock and is drained into the pool's outbox at once, so a waiting
Receive wakes up. Two psrpcore internals are used, both on purpose and only here:

- `_change_state(Running, emit=False)`: psrpcore's `start()` would send PipelineState=Running, which a
  Windows host never sends (it appears in no recorded exchange) and which costs clients an extra Receive;
- `_change_state(Failed, error=...)`: psrpcore has no public way to fail a pipeline with an ErrorRecord.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any, Protocol

import psrpcore
from psrpcore.types import ProgressRecordType, PSInvocationState, PSRPMessageType

from hvgui.emulator.psrp.commands import pipeline_commands
from hvgui.emulator.psrp.errors import error_record, internal_error
from hvgui.emulator.psrp.slots import RunspaceSlots
from hvgui.emulator.runtime import (
    CmdletError,
    HostRuntime,
    PipelineCommand,
    ProgressRecord,
    RunspaceState,
    TerminatingError,
)

log = logging.getLogger(__name__)

_CLOSEABLE = (
    PSInvocationState.NotStarted,
    PSInvocationState.Stopped,
    PSInvocationState.Stopping,
    PSInvocationState.Completed,
    PSInvocationState.Failed,
)


class PoolContext(Protocol):
    """What a pipeline needs from the pool it belongs to."""

    condition: threading.Condition
    runtime: HostRuntime
    runspace: RunspaceState
    slots: RunspaceSlots

    def flush(self) -> None:
        """Drain psrpcore's send buffer into the outbox (called with `condition` held)."""
        ...


class PipelineRun:
    """A pipeline from its CreatePipeline to its Terminate. Methods marked "held" expect the pool lock."""

    def __init__(self, pool: PoolContext, pipeline: psrpcore.ServerPipeline, command_id: str) -> None:
        self._pool = pool
        self._pipeline = pipeline
        self.command_id = command_id
        self.pipeline_id: uuid.UUID = pipeline.pipeline_id
        self.commands: list[PipelineCommand] = []
        self.stop_requested = threading.Event()
        self.finished = False  # its final PipelineState is queued
        self.closed = False
        self._input: list[Any] = []
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        """How the pipeline is named in logs and internal errors: its first command, or `script`."""
        if not self.commands:
            return "(no command)"
        first = self.commands[0]
        return "script" if first.is_script else first.name

    # -- driven by the client's messages (held) ---------------------------------------------------------
    def accept(self, metadata: Any) -> None:
        """The CreatePipeline arrived: remember its commands and mark it running (silently)."""
        self.commands = pipeline_commands(metadata)
        self._pipeline._change_state(PSInvocationState.Running, emit=False)

    def fail_unsupported(self, what: str) -> None:
        """Fail a request the emulated host does not implement (e.g. GetCommandMetadata)."""
        self._pipeline._change_state(PSInvocationState.Running, emit=False)
        error = internal_error(what, NotImplementedError(f"{what} is not supported by the emulated host"))
        self._pipeline._change_state(PSInvocationState.Failed, error=error_record(error))
        self.finished = True
        self._pool.flush()

    def add_input(self, value: Any) -> None:
        self._input.append(value)

    def start(self) -> None:
        """Run the pipeline on its own worker thread (once all input is there)."""
        if self._thread is not None or self.closed:
            return
        ticket = self._pool.slots.take_ticket()  # invocation order decides who gets a free runspace first
        self._thread = threading.Thread(
            target=self._work, args=(ticket,), name=f"pipeline-{self.command_id[:8]}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """ctrl_c: the pipeline ends in state Stopped and the runtime is told to stop."""
        self.stop_requested.set()
        if self._pipeline.state == PSInvocationState.Running:
            self._pipeline.stop()
            self.finished = True
            self._pool.flush()
        self._pool.slots.wake()

    def close(self) -> None:
        """Terminate (or the pool's Delete): stop if still running, then forget the pipeline."""
        if self._pipeline.state in (PSInvocationState.Running, PSInvocationState.Stopping):
            self.stop()
        self.stop_requested.set()
        if self._pipeline.state in _CLOSEABLE:
            self._pipeline.close()
        self.closed = True

    # -- the worker thread ------------------------------------------------------------------------------
    def _work(self, ticket: int) -> None:
        failure: CmdletError | None = None
        try:
            if not self._pool.slots.acquire(ticket, cancelled=self.stop_requested.is_set):
                return
            try:
                if not self.stop_requested.is_set():
                    self._pool.runtime.run(self._pool.runspace, list(self.commands), list(self._input), _Sink(self))
            finally:
                self._pool.slots.release()
        except TerminatingError as exc:
            failure = exc.error
        except Exception as exc:
            if not self.stop_requested.is_set():
                log.exception("pipeline %s (%s) failed inside the emulated host", self.command_id, self.name)
                failure = internal_error(self.name, exc)
        self._finish(failure)

    def _finish(self, failure: CmdletError | None) -> None:
        with self._pool.condition:
            if not self._writable():
                return
            try:
                if failure is None:
                    self._pipeline.complete()
                else:
                    self._pipeline._change_state(PSInvocationState.Failed, error=error_record(failure))
            except Exception as exc:  # e.g. a target object psrpcore cannot serialize: never leave the client waiting
                log.exception("pipeline %s (%s) could not report its end", self.command_id, self.name)
                self._pipeline._change_state(
                    PSInvocationState.Failed, error=error_record(internal_error(self.name, exc))
                )
            self.finished = True
            self._pool.flush()

    # -- the sink (called from the worker thread) -------------------------------------------------------
    def _writable(self) -> bool:
        return (
            not self.closed and not self.stop_requested.is_set() and self._pipeline.state == PSInvocationState.Running
        )

    def write_output(self, value: Any) -> None:
        with self._pool.condition:
            if self._writable():
                self._pipeline.write_output(value)
                self._pool.flush()

    def write_error(self, error: CmdletError) -> None:
        record = error_record(error)
        with self._pool.condition:
            if self._writable():
                # Sent as built (not through write_error) so it keeps the ToString a real record has.
                self._pipeline.prepare_message(record, message_type=PSRPMessageType.ErrorRecord)
                self._pool.flush()

    def write_warning(self, message: str) -> None:
        with self._pool.condition:
            if self._writable():
                self._pipeline.write_warning(str(message))
                self._pool.flush()

    def write_progress(self, record: ProgressRecord) -> None:
        with self._pool.condition:
            if self._writable():
                self._pipeline.write_progress(
                    activity=record.activity,
                    activity_id=record.activity_id,
                    status_description=record.status_description,
                    current_operation=record.current_operation,
                    parent_activity_id=record.parent_activity_id,
                    percent_complete=record.percent_complete,
                    record_type=ProgressRecordType.Completed if record.completed else ProgressRecordType.Processing,
                    seconds_remaining=record.seconds_remaining,
                )
                self._pool.flush()


class _Sink:
    """The `PipelineSink` a runtime writes to: only the writes and the stop flag, nothing else."""

    def __init__(self, run: PipelineRun) -> None:
        self._run = run
        self.stop_requested = run.stop_requested

    def write_output(self, value: Any) -> None:
        self._run.write_output(value)

    def write_error(self, error: CmdletError) -> None:
        self._run.write_error(error)

    def write_warning(self, message: str) -> None:
        self._run.write_warning(message)

    def write_progress(self, record: ProgressRecord) -> None:
        self._run.write_progress(record)
