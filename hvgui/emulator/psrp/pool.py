"""A runspace pool on the emulated host: what one WinRM shell of the PowerShell plug-in holds.

It feeds the client's PSRP bytes to psrpcore, reacts to the decoded events (pipelines, input,
runspace limits), keeps the pool's pipelines, and hands each Receive the messages of its target.
All psrpcore state is touched only with `condition` held: psrpcore objects are not thread-safe, and
pipelines write from their own worker threads.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import psrpcore
from psrpcore.types import RunspacePoolState

from hvgui.emulator.psrp.fragments import (
    RUNSPACEPOOL_STATE,
    FragmentError,
    first_message_pipeline_id,
    message_type,
    split_fragments,
)
from hvgui.emulator.psrp.outbox import Outbox, OutboxClosed
from hvgui.emulator.psrp.pipeline import PipelineRun
from hvgui.emulator.psrp.private_data import application_private_data
from hvgui.emulator.psrp.server_pool import EmulatedRunspacePool
from hvgui.emulator.psrp.slots import RunspaceSlots
from hvgui.emulator.runtime import HostRuntime, PipelineCommand

log = logging.getLogger(__name__)

PipelineObserver = Callable[[list[PipelineCommand]], None]


class PsrpDataError(Exception):
    """The client sent PSRP data the pool cannot use."""


class UnknownCommand(Exception):
    """No pipeline of this pool has that CommandId (never created, or already terminated)."""


class PoolClosed(Exception):
    """The pool was closed (Delete) while the request was in progress."""


@dataclass(frozen=True)
class ReceiveResult:
    fragments: list[bytes]
    done: bool  # the pipeline finished and everything it produced has now been handed out


class RunspacePoolSession:
    """One runspace pool and its pipelines."""

    def __init__(self, shell_id: str, runtime: HostRuntime, *, observer: PipelineObserver | None = None) -> None:
        self.shell_id = shell_id
        self.runtime = runtime
        self.condition = threading.Condition()
        self.slots = RunspaceSlots(1)
        self.runspace = runtime.open_runspace()
        self.created_at = time.monotonic()
        self.last_activity = self.created_at
        self._observer = observer
        self._pool = EmulatedRunspacePool(application_private_data=application_private_data())
        self._outbox = Outbox(self.condition)
        self._by_pipeline: dict[uuid.UUID, PipelineRun] = {}
        self._by_command: dict[str, PipelineRun] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    # -- requests -------------------------------------------------------------------------------------
    def open(self, creation: bytes) -> None:
        """Feed the fragments of the Create's creationXml (SessionCapability + InitRunspacePool)."""
        with self.condition:
            self._feed(creation)

    def create_pipeline(self, command_id: str | None, data: bytes) -> str:
        """A Command: register the pipeline named in the first fragment, then feed it. Returns the CommandId."""
        pipeline_id = first_message_pipeline_id(data)
        if pipeline_id is None:
            raise PsrpDataError("the Command arguments do not start with a PSRP message")
        with self.condition:
            self._check_open()
            command_id = (command_id or str(pipeline_id)).upper()
            previous = self._by_pipeline.get(pipeline_id)
            if previous is not None:
                if not previous.finished:
                    raise PsrpDataError(f"pipeline {pipeline_id} is still running")
                self._forget(previous)  # a PowerShell object invoked again reuses its pipeline id
            run = PipelineRun(self, psrpcore.ServerPipeline(self._pool, pipeline_id), command_id)
            self._by_pipeline[pipeline_id] = run
            self._by_command[command_id] = run
            try:
                self._feed(data)
            except PsrpDataError:
                self._forget(run)
                raise
            return command_id

    def send(self, data: bytes, command_id: str | None) -> None:
        """A Send on stdin or pr: more fragments for the pool or one of its pipelines."""
        with self.condition:
            self._check_open()
            if command_id is not None:
                self._run(command_id)
            self._feed(data)

    def receive(self, command_id: str | None, *, timeout: float, max_reply_size: int) -> ReceiveResult:
        """Long-poll for the pool's or a pipeline's messages. Raises TimeoutError when none come in time."""
        with self.condition:
            self._check_open()
            self.last_activity = time.monotonic()
            run = self._run(command_id) if command_id is not None else None
            target = run.pipeline_id if run is not None else None

            def settled() -> bool:
                return run is None or run.finished or run.closed

            try:
                fragments = self._outbox.take(target, timeout=timeout, max_reply_size=max_reply_size, settled=settled)
            except OutboxClosed:
                raise PoolClosed from None
            done = run is not None and run.finished and not self._outbox.has_data(target)
            return ReceiveResult(fragments, done)

    def signal(self, command_id: str, *, terminate: bool) -> None:
        """Signal a pipeline: stop it (ctrl_c) or terminate it (forget it)."""
        with self.condition:
            self._check_open()
            run = self._run(command_id)
            if terminate:
                self._forget(run)
            else:
                run.stop()

    def close(self) -> None:
        """Delete: stop and forget every pipeline, close the pool and wake every waiting Receive."""
        with self.condition:
            if self._closed:
                return
            self._closed = True
            for run in list(self._by_pipeline.values()):
                self._forget(run)
            if self._pool.state in (RunspacePoolState.Opened, RunspacePoolState.Closing):
                try:
                    self._pool.begin_close()
                    self._pool.close()
                except psrpcore.PSRPCoreError:
                    log.debug("closing runspace pool %s", self.shell_id, exc_info=True)
            self._outbox.close()
        self.slots.wake()

    # -- internals (condition held) ---------------------------------------------------------------------
    def flush(self) -> None:
        """Move everything psrpcore has to send into the per-target outbox and wake waiting Receives."""
        while (payload := self._pool.data_to_send()) is not None:
            target = payload.pipeline_id
            if target is not None and target not in self._by_pipeline:
                continue  # written for a pipeline that was terminated meanwhile
            for fragment in split_fragments(payload.data):
                if not (fragment.start and fragment.end):
                    raise RuntimeError("psrpcore returned a partial message without a size limit")
                # Windows answers the pool's Opened state in a reply of its own, after the capability
                # exchange; clients see the same two Receives as against a real host.
                starts_reply = message_type(fragment.data) == RUNSPACEPOOL_STATE
                self._outbox.put(target, fragment.object_id, fragment.data, starts_reply=starts_reply)
        self.condition.notify_all()

    def _check_open(self) -> None:
        if self._closed:
            raise PoolClosed

    def _run(self, command_id: str) -> PipelineRun:
        run = self._by_command.get(command_id.upper())
        if run is None:
            raise UnknownCommand(command_id)
        return run

    def _forget(self, run: PipelineRun) -> None:
        run.close()
        self._by_pipeline.pop(run.pipeline_id, None)
        if self._by_command.get(run.command_id) is run:
            del self._by_command[run.command_id]
        self._outbox.discard(run.pipeline_id)

    def _feed(self, data: bytes) -> None:
        try:
            split_fragments(data)  # refuse broken framing before psrpcore buffers any of it
        except FragmentError as exc:
            raise PsrpDataError(f"malformed PSRP fragments: {exc}") from None
        try:
            self._pool.receive_data(psrpcore.PSRPPayload(data, psrpcore.StreamType.default, None))
            while (event := self._pool.next_event()) is not None:
                self._on_event(event)
        except PsrpDataError:
            raise
        except Exception as exc:
            log.warning("runspace pool %s could not use the client's PSRP data: %r", self.shell_id, exc)
            log.debug("details", exc_info=True)
            self._pool.discard_unprocessed_input()
            raise PsrpDataError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self.flush()

    def _on_event(self, event: psrpcore.PSRPEvent) -> None:
        if isinstance(event, psrpcore.InitRunspacePoolEvent):
            self.slots.resize(self._pool.max_runspaces)
        elif isinstance(event, psrpcore.CreatePipelineEvent):
            run = self._by_pipeline[event.pipeline_id]
            run.accept(event.pipeline)
            if self._observer is not None:
                self._observer(run.commands)
            if event.pipeline.no_input:
                run.start()
        elif isinstance(event, psrpcore.PipelineInputEvent):
            self._by_pipeline[event.pipeline_id].add_input(event.data)
        elif isinstance(event, psrpcore.EndOfPipelineInputEvent):
            self._by_pipeline[event.pipeline_id].start()
        elif isinstance(event, psrpcore.GetCommandMetadataEvent):
            self._by_pipeline[event.pipeline_id].fail_unsupported("Get-Command metadata")
        elif isinstance(event, psrpcore.SetMaxRunspacesEvent):
            accepted = event.count >= max(1, self._pool.min_runspaces)
            self._pool.runspace_availability_response(event.ci, accepted)
            if accepted:
                self.slots.resize(event.count)
        elif isinstance(event, psrpcore.SetMinRunspacesEvent):
            self._pool.runspace_availability_response(event.ci, 1 <= event.count <= self._pool.max_runspaces)
        elif isinstance(event, psrpcore.GetAvailableRunspacesEvent):
            self._pool.runspace_availability_response(event.ci, self.slots.available)
        elif isinstance(event, psrpcore.ResetRunspaceStateEvent):
            self._pool.runspace_availability_response(event.ci, True)
        # SessionCapability, PublicKey and host responses need nothing beyond what psrpcore does itself.
