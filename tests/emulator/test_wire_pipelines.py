"""Runspace pools and pipelines through the real pypsrp client over loopback."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from pypsrp.exceptions import InvalidPSRPOperation
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool, RunspacePoolState
from pypsrp.wsman import WSMan

from hvgui.emulator import RunningEmulator
from hvgui.emulator.endpoints import Endpoint

WSManFactory = Callable[..., WSMan]


def test_pool_opens_runs_a_pipeline_and_closes(
    wire_endpoint: Endpoint, wire_emulator: RunningEmulator, wsman_factory: WSManFactory
) -> None:
    service = wire_emulator.server("HV-WIRE-01").service
    pool = RunspacePool(wsman_factory(wire_endpoint))
    pool.open()
    assert pool.state == RunspacePoolState.OPENED
    assert service.shell_count == 1
    assert pool.is_alive()

    ps = PowerShell(pool)
    ps.add_cmdlet("Write-Output").add_argument("hello").add_argument(42)
    assert ps.invoke() == ["hello", 42]
    assert ps.state == PSInvocationState.COMPLETED
    assert ps.had_errors is False

    pool.close()
    assert pool.state == RunspacePoolState.CLOSED
    assert service.shell_count == 0
    assert pool.is_alive() is False  # the shell Get now answers "no such shell"


def test_host_reports_windows_powershell_and_winrm_config(wire_endpoint: Endpoint, wsman_factory: WSManFactory) -> None:
    wsman = wsman_factory(wire_endpoint)
    with RunspacePool(wsman) as pool:
        version_table = pool.application_private_data.data["PSVersionTable"]
        assert str(version_table["PSVersion"]).startswith("5.1.20348")
        assert version_table["PSEdition"] == "Desktop"
    wsman.update_max_payload_size()  # reads cfg:Config/MaxEnvelopeSizekb (500 KiB) from the host
    assert wsman.max_envelope_size == 512000


def test_parameters_arrive_in_order_with_switches_as_true(
    wire_endpoint: Endpoint, wire_runtime, wsman_factory: WSManFactory
) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Parameters").add_parameter("Name", ["vm1", "vm2"]).add_parameter("Force")
        ps.add_parameter("Count", 3)
        (output,) = ps.invoke()
    assert output == {"Name": ["vm1", "vm2"], "Force": True, "Count": 3}
    commands, _ = wire_runtime.runs[-1]
    assert [name for name, _ in commands[0].parameters] == ["Name", "Force", "Count"]


def test_pipeline_input_reaches_the_runtime(wire_endpoint: Endpoint, wire_runtime, wsman_factory: WSManFactory) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Output")
        assert ps.invoke(input=[1, "two", 3.5]) == [1, "two", 3.5]
    assert wire_runtime.runs[-1][1] == [1, "two", 3.5]


def test_non_terminating_error_goes_to_the_error_stream(wire_endpoint: Endpoint, wsman_factory: WSManFactory) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Error").add_parameter("Message", "no VM named vm9").add_parameter("TargetObject", "vm9")
        output = ps.invoke()
    assert output == ["after the error"]  # the pipeline went on
    assert ps.had_errors is False  # pypsrp: True only for a failed pipeline, like against Windows
    assert ps.state == PSInvocationState.COMPLETED
    (error,) = ps.streams.error
    assert error.exception.adapted_properties["Message"] == "no VM named vm9"
    assert error.exception.types[:3] == [
        "Microsoft.HyperV.PowerShell.VirtualizationException",
        "System.Exception",
        "System.Object",
    ]
    assert error.fq_error == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM"
    assert error.category == 5  # InvalidArgument
    assert (error.activity, error.reason) == ("Get-VM", "VirtualizationException")
    assert (error.target_name, error.target_type, error.target_object) == ("vm9", "String", "vm9")
    assert error.message == "InvalidArgument: (vm9:String) [Get-VM], VirtualizationException"


def test_warning_goes_to_the_warning_stream(wire_endpoint: Endpoint, wsman_factory: WSManFactory) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Warning").add_parameter("Message", "the VM has no checkpoints")
        assert ps.invoke() == []
    assert [w.message for w in ps.streams.warning] == ["the VM has no checkpoints"]
    assert ps.had_errors is False


def test_terminating_error_fails_the_pipeline_with_its_error_record(
    wire_endpoint: Endpoint, wsman_factory: WSManFactory
) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Invoke-Failure").add_parameter("Message", "The operation failed.")
        output = ps.invoke()
        assert output == ["before the failure"]
        assert ps.had_errors is True
        assert ps.state == PSInvocationState.FAILED
        (error,) = ps.streams.error
        assert error.exception.adapted_properties["Message"] == "The operation failed."
        assert error.fq_error == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM"
        assert error.target_name == "vm-missing"

        after = PowerShell(pool)  # the pool is still fine
        after.add_cmdlet("Write-Output").add_argument("still here")
        assert after.invoke() == ["still here"]


def test_unexpected_runtime_exception_fails_only_that_pipeline(
    wire_endpoint: Endpoint, wsman_factory: WSManFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Invoke-Crash")
        assert ps.invoke() == []
        assert ps.state == PSInvocationState.FAILED
        (error,) = ps.streams.error
        assert "ZeroDivisionError" in error.exception.adapted_properties["Message"]
        assert "Invoke-Crash" in error.exception.adapted_properties["Message"]
        again = PowerShell(pool)
        again.add_cmdlet("Write-Output").add_argument(1)
        assert again.invoke() == [1]
    assert any("Invoke-Crash" in r.getMessage() for r in caplog.records)


def test_an_error_that_cannot_be_serialized_still_ends_the_pipeline(
    wire_endpoint: Endpoint, wsman_factory: WSManFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Invoke-BadTarget")
        assert ps.invoke() == []
        assert ps.state == PSInvocationState.FAILED
        (error,) = ps.streams.error
        assert error.fq_error == "EmulatorInternalError"
        assert "RecursionError" in error.exception.adapted_properties["Message"]
        again = PowerShell(pool)
        again.add_cmdlet("Write-Output").add_argument("alive")
        assert again.invoke() == ["alive"]
    assert any("could not report its end" in r.getMessage() for r in caplog.records)


def test_a_reinvoked_powershell_object_runs_again(wire_endpoint: Endpoint, wsman_factory: WSManFactory) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Output").add_argument("again")
        assert ps.invoke() == ["again"]
        assert ps.invoke() == ["again", "again"]  # pypsrp keeps appending to its output list


def test_concurrent_pipelines_respect_max_runspaces(
    wire_endpoint: Endpoint, wire_runtime, wsman_factory: WSManFactory
) -> None:
    with RunspacePool(wsman_factory(wire_endpoint), max_runspaces=2) as pool:
        sleepers = []
        for _ in range(3):
            ps = PowerShell(pool)
            ps.add_cmdlet("Start-Sleep").add_parameter("Milliseconds", 400)
            ps.begin_invoke()
            sleepers.append(ps)
        for ps in sleepers:
            ps.end_invoke()
            assert ps.output == ["slept 0.4"]
    assert wire_runtime.most_at_once == 2  # two ran together, the third waited for a runspace


def test_max_runspaces_one_queues_the_second_pipeline(
    wire_endpoint: Endpoint, wire_runtime, wsman_factory: WSManFactory
) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        slow, quick = PowerShell(pool), PowerShell(pool)
        slow.add_cmdlet("Start-Sleep").add_parameter("Milliseconds", 200)
        quick.add_cmdlet("Write-Output").add_argument("quick")
        slow.begin_invoke()
        quick.begin_invoke()
        quick.end_invoke()
        slow.end_invoke()
    assert wire_runtime.most_at_once == 1
    assert [commands[0].name for commands, _ in wire_runtime.runs] == ["Start-Sleep", "Write-Output"]


def test_runspace_limits_can_be_changed_and_queried(wire_endpoint: Endpoint, wsman_factory: WSManFactory) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        assert pool.get_available_runspaces() == 1
        pool.max_runspaces = 3
        assert pool.get_available_runspaces() == 3
        pool.min_runspaces = 2
        assert pool.min_runspaces == 2
        with pytest.raises(InvalidPSRPOperation):
            pool.min_runspaces = 4  # above the maximum: the host refuses


def test_stop_ends_a_long_pipeline_and_tells_the_runtime(
    wire_endpoint: Endpoint, wire_runtime, wsman_factory: WSManFactory
) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Start-Sleep").add_parameter("Seconds", 30)
        ps.begin_invoke()
        ps.stop()
        assert ps.state == PSInvocationState.STOPPED
        assert wire_runtime.stopped.wait(10)  # the sleep ended early: the runtime saw stop_requested
        after = PowerShell(pool)  # the runspace was handed back
        after.add_cmdlet("Write-Output").add_argument("next")
        assert after.invoke() == ["next"]


def test_receive_times_out_with_the_winrm_fault_and_polling_goes_on(
    wire_endpoint: Endpoint, wsman_factory: WSManFactory
) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Start-Sleep").add_parameter("Milliseconds", 1700)
        ps.begin_invoke()
        started = time.monotonic()
        ps.poll_invoke(timeout=1)  # pypsrp swallows only WSManFault 2150858793 (TimedOut); others raise
        assert time.monotonic() - started >= 0.9  # the Receive long-polled for the whole OperationTimeout
        assert ps.state == PSInvocationState.RUNNING
        while ps.state == PSInvocationState.RUNNING:
            ps.poll_invoke(timeout=1)
        assert ps.state == PSInvocationState.COMPLETED
        assert ps.output == ["slept 1.7"]


def test_two_pools_have_separate_runspaces(wire_endpoint: Endpoint, wire_runtime, wsman_factory: WSManFactory) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as first, RunspacePool(wsman_factory(wire_endpoint)) as second:
        for pool in (first, second, first):
            ps = PowerShell(pool)
            ps.add_cmdlet("Write-Output").add_argument(1)
            ps.invoke()
    first_pool, second_pool, first_again = wire_runtime.runspaces_used
    assert first_pool is first_again  # one runspace state per pool, handed to every pipeline of it
    assert first_pool is not second_pool
    assert (first_pool.pipelines, second_pool.pipelines) == (2, 1)


def test_large_output_spans_several_receives(wire_endpoint: Endpoint, wsman_factory: WSManFactory) -> None:
    big = "x" * 1_200_000  # bigger than two 500 KiB envelopes
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Output").add_argument(big).add_argument("tail")
        assert ps.invoke() == [big, "tail"]
