"""Drives an `EmulatedHost` directly, below the wire: a recording sink, a hand-moved clock, command builders.

This is the host model's unit level; the same hosts are driven over real WinRM/PSRP by the wire tests.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any

from hvgui.emulator.hyperv import EmulatedHost
from hvgui.emulator.runtime import CmdletError, PipelineCommand, ProgressRecord, TerminatingError
from hvgui.emulator.scenarios import build_scenario, load_scenario

#: The host's wall-clock time when the fake clock reads 0; at the default start (10 000 s) it is
#: 2024-03-05 16:39:01 UTC.
WALL_AT_ZERO = datetime.datetime(2024, 3, 5, 13, 52, 21, tzinfo=datetime.UTC).timestamp()


class FakeClock:
    """Monotonic seconds that move only when a test says so (or by `step` on every read)."""

    def __init__(self, start: float = 10_000.0, step: float = 0.0) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingSink:
    def __init__(self) -> None:
        self.output: list[Any] = []
        self.errors: list[CmdletError] = []
        self.warnings: list[str] = []
        self.progress: list[ProgressRecord] = []
        self.stop_requested = threading.Event()

    def write_output(self, value: Any) -> None:
        self.output.append(value)

    def write_error(self, error: CmdletError) -> None:
        self.errors.append(error)

    def write_warning(self, message: str) -> None:
        self.warnings.append(message)

    def write_progress(self, record: ProgressRecord) -> None:
        self.progress.append(record)


def cmd(name: str, *positional: Any, **named: Any) -> PipelineCommand:
    """A pipeline command: positional arguments first, then named ones in the given order."""
    params: list[tuple[str | None, Any]] = [(None, v) for v in positional]
    params.extend(named.items())
    return PipelineCommand(name=name, parameters=tuple(params))


def script(text: str, *arguments: Any) -> PipelineCommand:
    return PipelineCommand(name=text, is_script=True, parameters=tuple((None, a) for a in arguments))


MODULE_TEXT = (
    "# hvgui host module\n"
    "function Get-HvGuiInventory {\n  [CmdletBinding()] param()\n}\n"
    "function Set-HvGuiIntegrationService {\n  [CmdletBinding()]\n"
    "  param([Parameter(Mandatory)][Guid]$VMId, [Parameter(Mandatory)][string]$ComponentId,\n"
    "        [Parameter(Mandatory)][bool]$Enabled)\n}\n"
)


class Harness:
    """One emulated host of a scenario (built-in name or JSON document) with a fake clock."""

    def __init__(
        self, scenario: str | dict = "demo", *, host: int = 0, seed: int | None = None, clock: FakeClock | None = None
    ) -> None:
        self.clock = clock or FakeClock()
        if isinstance(scenario, dict):
            self.scenario = build_scenario(scenario, seed=seed, clock=self.clock)
        else:
            self.scenario = load_scenario(scenario, seed=seed, clock=self.clock)
        for emulated in self.scenario.hosts:  # host wall time moves with the fake clock, from a fixed moment
            emulated.model.wall_clock = lambda: WALL_AT_ZERO + self.clock.now
        self.host: EmulatedHost = self.scenario.hosts[host]
        self.model = self.host.model
        self.runspace = self.host.open_runspace()

    def run(self, *commands: PipelineCommand, pipeline_input: list[Any] | None = None) -> RecordingSink:
        sink = RecordingSink()
        self.host.run(self.runspace, list(commands), list(pipeline_input or []), sink)
        return sink

    def fails(self, *commands: PipelineCommand, pipeline_input: list[Any] | None = None) -> CmdletError:
        """Run a pipeline that must fail (PipelineState Failed) and return its error."""
        try:
            self.run(*commands, pipeline_input=pipeline_input)
        except TerminatingError as failure:
            return failure.error
        raise AssertionError("the pipeline did not fail")

    def vm(self, name: str):
        return next(v for v in self.model.vms if v.name == name)

    def now(self) -> float:
        return self.clock.now

    def load_module(self, text: str = MODULE_TEXT) -> None:
        assert self.run(script(text)).output == []


def one_host(*vms: dict, locale: str = "en-US", name: str = "HV-TEST") -> dict:
    """A scenario document with a single host holding the given VMs."""
    return {
        "name": "test",
        "seed": 1,
        "hosts": [{"name": name, "locale": locale, "domain": "test.local", "vms": list(vms)}],
    }
