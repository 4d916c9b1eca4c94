"""`EmulatedHost`: one Hyper-V host as the protocol layer sees it (`hvgui.emulator.runtime.HostRuntime`).

A pipeline runs like PowerShell runs it: every command is looked up and its arguments bound before any
command runs (an unknown command or a binding error fails the whole pipeline), then the commands run in
order, each one's output being the next one's pipeline input, bound record by record.

Each command pays the fixed part of its cost (`HostCosts.charge_base`, the host's cost profile) once, before
its first record, as a cmdlet's BeginProcessing does; the commands charge their per-object parts themselves.
Charges are paid outside the host lock, so a slow pipeline never holds up another one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from hvgui.emulator.runtime import CmdletError, PipelineCommand, PipelineSink, TerminatingError

from . import errors, scripts
from .binding import ActionPreference, Binder, BindingError
from .cim.indications import EventQueue
from .cmdlets import CMDLETS
from .context import Command, CommandContext
from .functions import FUNCTIONS
from .host import HostModel
from .syntax import documented_commands, function_spec

_MODULE_QUALIFIER = "hyper-v\\"


def _write_to_client(sink: PipelineSink, value: Any) -> None:
    """What leaves the host is serialized as a host serializes it: a CIM instance or a CIM method's result
    (kept as light records while commands pass them along) becomes its adapted object here."""
    to_psobject = getattr(value, "to_psobject", None)
    sink.write_output(to_psobject() if to_psobject is not None else value)


@dataclass
class HvRunspace:
    """What one runspace pool remembers between pipelines: the functions loaded into it, its events."""

    functions: dict[str, str] = field(default_factory=dict)  # lower-case name -> declared spelling
    events: EventQueue = field(default_factory=EventQueue, repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


@dataclass
class _Step:
    """One command of a pipeline, looked up and with its arguments bound."""

    command: PipelineCommand
    script_kind: str | None = None
    binder: Binder | None = None
    implementation: Command | None = None


class EmulatedHost:
    """A Hyper-V host: the model (`model`) behind the PowerShell surface; `delay` slows every pipeline."""

    def __init__(self, model: HostModel, *, delay: float = 0.0) -> None:
        self.model = model
        self.delay = delay

    @property
    def name(self) -> str:
        return self.model.name

    def __repr__(self) -> str:
        return f"EmulatedHost({self.model.name!r}, vms={len(self.model.vms)})"

    def open_runspace(self) -> HvRunspace:
        return HvRunspace()

    def identify_script(self, script: str) -> str | None:
        return scripts.identify(script)

    # ---------------------------------------------------------------- pipeline

    def run(
        self,
        runspace: HvRunspace,
        commands: list[PipelineCommand],
        pipeline_input: list[Any],
        sink: PipelineSink,
    ) -> None:
        if self.delay > 0 and sink.stop_requested.wait(self.delay):
            return
        has_input = bool(pipeline_input)
        steps = [self._prepare(runspace, c, expects_input=has_input or i > 0) for i, c in enumerate(commands)]
        stream: list[Any] | None = list(pipeline_input) if has_input else None
        for index, step in enumerate(steps):
            if sink.stop_requested.is_set():
                return
            last = index == len(steps) - 1
            collected: list[Any] = []
            emit: Callable[[Any], None] = partial(_write_to_client, sink) if last else collected.append
            if step.script_kind is not None:
                self._run_script(runspace, step, stream, emit)
            else:
                self._run_command(step, stream, sink, emit, runspace.events)
            stream = collected

    def _prepare(self, runspace: HvRunspace, command: PipelineCommand, *, expects_input: bool) -> _Step:
        if command.is_script:
            kind = scripts.identify(command.name)
            if kind is None:
                raise TerminatingError(errors.scripts_not_allowed())
            return _Step(command, script_kind=kind)
        key = command.name.strip().casefold()
        key = key.removeprefix(_MODULE_QUALIFIER)
        spec = documented_commands().get(key)
        implementation = CMDLETS.get(key)
        if spec is None or implementation is None:
            with runspace.lock:
                declared = runspace.functions.get(key)
            if declared is None or key not in FUNCTIONS:
                raise TerminatingError(errors.command_not_found(command.name))
            function = FUNCTIONS[key]
            spec = function_spec(function.name, function.parameters, function.optional)
            implementation = function.implementation
        try:
            binder = Binder(spec, command.parameters, expects_input=expects_input)
        except BindingError as failure:
            raise TerminatingError(failure.error) from None
        return _Step(command, binder=binder, implementation=implementation)

    def _run_command(
        self,
        step: _Step,
        stream: list[Any] | None,
        sink: PipelineSink,
        emit: Callable[[Any], None],
        events: EventQueue,
    ) -> None:
        binder, implementation = step.binder, step.implementation
        assert binder is not None and implementation is not None
        if not self.model.costs.charge_base(binder.spec.name, sink.stop_requested):
            return
        if stream is None:
            try:
                bound = binder.bind_without_input()
            except BindingError as failure:
                raise TerminatingError(failure.error) from None
            implementation(CommandContext(self.model, bound, sink, emit, events))
            return
        for record in stream:
            if sink.stop_requested.is_set():
                return
            result = binder.bind_record(record)
            if isinstance(result, CmdletError):
                self._write_binding_error(binder, result, sink)
                continue
            implementation(CommandContext(self.model, result, sink, emit, events))

    @staticmethod
    def _write_binding_error(binder: Binder, error: CmdletError, sink: PipelineSink) -> None:
        action = binder.bound.get("ErrorAction", ActionPreference.Continue)
        if action is ActionPreference.Stop:
            raise TerminatingError(error)
        if action not in (ActionPreference.SilentlyContinue, ActionPreference.Ignore):
            sink.write_error(error)

    def _run_script(
        self, runspace: HvRunspace, step: _Step, stream: list[Any] | None, emit: Callable[[Any], None]
    ) -> None:
        command = step.command
        if step.script_kind == scripts.HVGUI_MODULE:
            with runspace.lock:
                for name in scripts.declared_functions(command.name):
                    runspace.functions[name.casefold()] = name
        elif step.script_kind == scripts.PYPSRP_COPY:
            emit(scripts.run_copy(self.model, command.parameters, stream or []))
        elif step.script_kind == scripts.PYPSRP_FETCH:
            for item in scripts.run_fetch(self.model, command.parameters):
                emit(item)
