"""Fixtures for the wire-level tests of the emulator's protocol layer (WS-Man + PSRP).

`WireRuntime` stands in for the Hyper-V model: a handful of PowerShell-like commands whose behaviour
the protocol tests choose (echo, sleep, errors, warnings, crashes). The client side is always the real
pypsrp talking over loopback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from psrpcore.types import ErrorCategory
from pypsrp.wsman import WSMan

from hvgui.emulator import RunningEmulator, start_hosts
from hvgui.emulator.endpoints import Endpoint
from hvgui.emulator.runtime import CmdletError, PipelineCommand, PipelineSink, TerminatingError

WIRE_USER = "wire-admin"
WIRE_PASSWORD = "S3cret pass;word"  # a space and a semicolon: credentials travel intact
KNOWN_SCRIPT_MARKER = "# wire test script"


@dataclass
class WireRunspace:
    """Per-pool state: counts the pipelines run in it, so tests can tell pools apart."""

    pipelines: int = 0


@dataclass
class WireRuntime:
    """A protocol-level test double of the host model (implements `HostRuntime`)."""

    name: str = "HV-WIRE-01"
    runs: list[tuple[list[PipelineCommand], list[Any]]] = field(default_factory=list)
    runspaces_used: list[WireRunspace] = field(default_factory=list)  # the runspace of each run, in order
    stopped: threading.Event = field(default_factory=threading.Event)
    running_now: int = 0
    most_at_once: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open_runspace(self) -> WireRunspace:
        return WireRunspace()

    def identify_script(self, script: str) -> str | None:
        return "wire-script" if script.startswith(KNOWN_SCRIPT_MARKER) else None

    def run(
        self, runspace: WireRunspace, commands: list[PipelineCommand], pipeline_input: list[Any], sink: PipelineSink
    ) -> None:
        runspace.pipelines += 1
        self.runs.append((commands, pipeline_input))
        self.runspaces_used.append(runspace)
        with self._lock:
            self.running_now += 1
            self.most_at_once = max(self.most_at_once, self.running_now)
        try:
            self._run(commands[0], pipeline_input, sink)
        finally:
            with self._lock:
                self.running_now -= 1

    def _run(self, command: PipelineCommand, pipeline_input: list[Any], sink: PipelineSink) -> None:
        params = {name: value for name, value in command.parameters if name is not None}
        args = [value for name, value in command.parameters if name is None]
        if command.is_script:
            self._script(command.name, sink)
            return
        if command.name == "Write-Output":
            for value in [*args, *pipeline_input]:
                sink.write_output(value)
        elif command.name == "Start-Sleep":
            seconds = float(params.get("Seconds", 0)) + float(params.get("Milliseconds", 0)) / 1000
            if sink.stop_requested.wait(seconds):
                self.stopped.set()
                return
            sink.write_output(f"slept {seconds:g}")
        elif command.name == "Write-Error":
            sink.write_error(_error(str(params.get("Message", "")), str(params.get("TargetObject", ""))))
            sink.write_output("after the error")
        elif command.name == "Write-Warning":
            sink.write_warning(str(params["Message"]))
        elif command.name == "Invoke-Failure":
            sink.write_output("before the failure")
            raise TerminatingError(_error(str(params.get("Message", "failed")), "vm-missing"))
        elif command.name == "Invoke-BadTarget":
            unserializable: list[Any] = []
            unserializable.append(unserializable)  # psrpcore recurses forever on this
            raise TerminatingError(
                replace(_error("nobody can serialize the target", "x"), target_object=unserializable)
            )
        elif command.name == "Invoke-Crash":
            raise ZeroDivisionError("division by zero in the model")
        elif command.name == "Get-Parameters":
            sink.write_output({str(k): v for k, v in params.items()})
        else:
            raise TerminatingError(
                CmdletError(
                    message=f"The term '{command.name}' is not recognized as the name of a cmdlet, function, "
                    "script file, or operable program. Check the spelling of the name, or if a path was included, "
                    "verify that the path is correct and try again.",
                    fully_qualified_error_id="CommandNotFoundException",
                    category=ErrorCategory.ObjectNotFound,
                    activity=command.name,
                    reason="CommandNotFoundException",
                    target_name=command.name,
                    target_type="String",
                    target_object=command.name,
                    exception_types=(
                        "System.Management.Automation.CommandNotFoundException",
                        "System.Management.Automation.RuntimeException",
                        "System.SystemException",
                    ),
                )
            )

    def _script(self, text: str, sink: PipelineSink) -> None:
        """The scripts of the recorded Windows exchanges replayed by test_wire_replay."""
        if text == "$ErrorActionPreference = 'Stop'; Write-Output before; Write-Error error; Write-Output after":
            sink.write_output("before")
            raise TerminatingError(
                CmdletError(
                    message="error",
                    fully_qualified_error_id="Microsoft.PowerShell.Commands.WriteErrorException",
                    category=ErrorCategory.NotSpecified,
                    activity="Write-Error",
                    reason="WriteErrorException",
                    exception_types=("Microsoft.PowerShell.Commands.WriteErrorException", "System.SystemException"),
                )
            )
        if text.replace(" ", "") == "1+1":
            sink.write_output(2)
            return
        sink.write_output(f"script of {len(text)} characters")


def _error(message: str, target: str) -> CmdletError:
    return CmdletError(
        message=message,
        fully_qualified_error_id="InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM",
        category=ErrorCategory.InvalidArgument,
        activity="Get-VM",
        reason="VirtualizationException",
        target_name=target,
        target_type="String",
        target_object=target,
        exception_types=("Microsoft.HyperV.PowerShell.VirtualizationException",),
    )


@dataclass(frozen=True)
class WireKit:
    """What test modules need from here (test modules do not import conftest)."""

    runtime: type[WireRuntime] = WireRuntime
    user: str = WIRE_USER
    password: str = WIRE_PASSWORD
    known_script_marker: str = KNOWN_SCRIPT_MARKER


@pytest.fixture
def wire_kit() -> WireKit:
    return WireKit()


@pytest.fixture
def wire_runtime() -> WireRuntime:
    return WireRuntime()


@pytest.fixture
def wire_emulator(wire_runtime: WireRuntime) -> Iterator[RunningEmulator]:
    """One emulated host over plain HTTP."""
    with start_hosts([wire_runtime], username=WIRE_USER, password=WIRE_PASSWORD) as emulator:
        yield emulator


@pytest.fixture
def wire_endpoint(wire_emulator: RunningEmulator) -> Endpoint:
    return wire_emulator.endpoints[0]


@pytest.fixture
def tls_emulator(wire_runtime: WireRuntime) -> Iterator[RunningEmulator]:
    """One emulated host over HTTPS with a generated CA."""
    with start_hosts([wire_runtime], tls=True, username=WIRE_USER, password=WIRE_PASSWORD) as emulator:
        yield emulator


def make_wsman(endpoint: Endpoint, **overrides: Any) -> WSMan:
    """A pypsrp WSMan for an endpoint: Basic auth, unencrypted over HTTP, CA-checked over HTTPS."""
    options: dict[str, Any] = {
        "port": endpoint.port,
        "username": endpoint.username,
        "password": endpoint.password,
        "ssl": endpoint.use_https,
        "auth": "basic",
        "encryption": "auto" if endpoint.use_https else "never",
        "cert_validation": endpoint.ca_file if endpoint.use_https else False,
        "connection_timeout": 5,
        "read_timeout": 30,
    }
    options.update(overrides)
    return WSMan(endpoint.address, **options)


@pytest.fixture
def wsman_factory() -> Iterator[Callable[..., WSMan]]:
    """Builds WSMan clients for endpoints and closes them after the test."""
    made: list[WSMan] = []

    def factory(endpoint: Endpoint, **overrides: Any) -> WSMan:
        wsman = make_wsman(endpoint, **overrides)
        made.append(wsman)
        return wsman

    yield factory
    for wsman in made:
        wsman.close()
