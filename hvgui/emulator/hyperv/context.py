"""What a running command sees: its bound parameters, the host model, and where it writes.

`write_error` and `write_warning` apply the common parameters the way the engine does (`-ErrorAction Stop`
makes the error terminating, `SilentlyContinue`/`Ignore` drop it; `-WarningAction` likewise), so command
implementations only say *what* happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hvgui.emulator.runtime import CmdletError, PipelineSink, TerminatingError

from . import errors
from .binding import ActionPreference, BoundCommand
from .errors import Invocation
from .host import HostModel

if TYPE_CHECKING:
    from .cim.indications import EventQueue

_SILENT = (ActionPreference.SilentlyContinue, ActionPreference.Ignore)


@dataclass
class CommandContext:
    model: HostModel
    bound: BoundCommand
    sink: PipelineSink
    emit: Callable[[Any], None]  # the next command's input, or the client's output stream
    events: EventQueue | None = None  # the runspace's event queue (`cim.indications`)

    @property
    def invocation(self) -> Invocation:
        return Invocation(self.bound.spec.name, self.bound.spec.fqid_suffix)

    @property
    def stop_requested(self) -> threading.Event:
        return self.sink.stop_requested

    def now(self) -> float:
        return self.model.now()

    def write_output(self, value: Any) -> None:
        self.emit(value)

    def write_error(self, error: CmdletError) -> None:
        action = self.bound.error_action
        if action is ActionPreference.Stop:
            raise TerminatingError(error)
        if action not in _SILENT:
            self.sink.write_error(error)

    def write_warning(self, message: str) -> None:
        action = self.bound.warning_action
        if action is ActionPreference.Stop:
            raise TerminatingError(errors.warning_stop(self.invocation, message))
        if action not in _SILENT:
            self.sink.write_warning(message)

    def should_process(self) -> bool:
        """`ShouldProcess`: -WhatIf skips the action; an explicit -Confirm would prompt, which a remote
        runspace cannot do (plausible WS2022 behaviour: the prompt fails like ShouldContinue does)."""
        if self.bound.switch("WhatIf"):
            return False
        if self.bound.switch("Confirm"):
            raise PromptNotPossible
        return True

    def should_continue(self) -> bool:
        """`IOperationWatcher.ShouldContinue`: -Force or -AsJob answer yes; otherwise a prompt, impossible here."""
        if self.bound.switch("Force") or self.bound.switch("AsJob"):
            return True
        raise PromptNotPossible


class PromptNotPossible(Exception):
    """A command wanted to ask the user; in a non-interactive runspace that is an InvalidOperation error."""


#: A command implementation: called once per bound record (or once when the command has no input).
Command = Callable[[CommandContext], None]
