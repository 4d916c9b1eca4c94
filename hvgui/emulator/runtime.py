"""The contract between the emulator's protocol layer (WS-Man + PSRP) and its Hyper-V host model.

The protocol layer decodes a pipeline from the wire and hands it to a `HostRuntime`; the runtime runs it
and reports through a `PipelineSink`. Neither side knows how the other is built: the protocol layer never
sees a VM, the host model never sees a WS-Man envelope or a PSRP fragment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class PipelineCommand:
    """One command of a pipeline exactly as the client sent it.

    `parameters` keeps the client's order. A `None` name is a positional argument (`add_argument`).
    Values are what psrpcore deserialized: str, int, bool, list, or a PSObject for complex values.
    A switch sent without a value (pypsrp `add_parameter("Force")`) arrives as `True`.
    """

    name: str  # the cmdlet or function name, or the whole script text when is_script
    is_script: bool = False
    parameters: tuple[tuple[str | None, Any], ...] = field(default=())


@dataclass
class CmdletError(Exception):
    """An error as PowerShell reports it: the pieces of an ErrorRecord.

    `category` is a psrpcore `ErrorCategory` member; `exception_types` lists the .NET exception type
    names, most derived first (e.g. `Microsoft.HyperV.PowerShell.VirtualizationException`).
    """

    message: str
    fully_qualified_error_id: str
    category: Any
    activity: str = ""
    reason: str = ""  # short exception type name, shown in CategoryInfo
    target_name: str = ""
    target_type: str = ""
    target_object: Any = None
    exception_types: tuple[str, ...] = ("System.Exception",)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)


@dataclass(frozen=True)
class ProgressRecord:
    """A progress record as `Cmdlet.WriteProgress` writes it (PSRP PROGRESS_RECORD).

    `completed` is RecordType Completed (the activity ended), else Processing. Negative
    `percent_complete` / `seconds_remaining` mean "not shown", as in PowerShell.
    """

    activity: str
    status_description: str
    percent_complete: int = -1
    seconds_remaining: int = -1
    activity_id: int = 0
    parent_activity_id: int = -1
    current_operation: str | None = None
    completed: bool = False


class TerminatingError(Exception):
    """Raised by a runtime to fail the whole pipeline (PipelineState Failed) with this error."""

    def __init__(self, error: CmdletError) -> None:
        super().__init__(error.message)
        self.error = error


class PipelineSink(Protocol):
    """Where a running pipeline writes. Called from the pipeline's own worker thread."""

    stop_requested: threading.Event  # set when the client stops the pipeline (ctrl_c signal)

    def write_output(self, value: Any) -> None: ...

    def write_error(self, error: CmdletError) -> None: ...

    def write_warning(self, message: str) -> None: ...

    def write_progress(self, record: ProgressRecord) -> None: ...


class RunspaceState(Protocol):
    """Per-runspace-pool state a runtime keeps (loaded functions, current location, ...)."""


class HostRuntime(Protocol):
    """One emulated Hyper-V host as the protocol layer sees it."""

    name: str  # the host's computer name, e.g. HV-DEMO-01

    def open_runspace(self) -> RunspaceState:
        """Called when a client opens a runspace pool; the result is passed back to `run`."""
        ...

    def identify_script(self, script: str) -> str | None:
        """The name of a recognised script (e.g. `hvgui-module`, `pypsrp-copy`), or None."""
        ...

    def run(
        self,
        runspace: RunspaceState,
        commands: list[PipelineCommand],
        pipeline_input: list[Any],
        sink: PipelineSink,
    ) -> None:
        """Run one pipeline to completion (blocking). Raise TerminatingError to fail it."""
        ...
