"""Copy-VMFile: host file into a running guest through the Guest Service Interface, and every refusal."""

from __future__ import annotations

import pytest
from model_harness import Harness, cmd, one_host
from psrpcore.types import ErrorCategory

from hvgui.emulator.hyperv.vm import HANDSHAKE_SECONDS

COPY = "Microsoft.HyperV.PowerShell.Commands.CopyVMFile"
DOCS = "C:\\Users\\Administrator\\Documents"
PAYLOAD = b"\x00payload\r\n" * 100


@pytest.fixture
def h() -> Harness:
    harness = Harness(
        one_host(
            {"name": "win", "state": "Running", "uptime": 3600, "integration_services": {"guestservice": True}},
            {"name": "rhel", "os": "rhel-9", "state": "Running", "uptime": 3600,
             "integration_services": {"guestservice": True}},
            {"name": "ubuntu", "os": "ubuntu-24.04", "state": "Running", "uptime": 3600,
             "integration_services": {"guestservice": True}},
            {"name": "gsi-off", "state": "Running", "uptime": 3600},
            {"name": "off", "state": "Off", "integration_services": {"guestservice": True}},
        )
    )  # fmt: skip
    harness.model.files.write(DOCS + "\\setup.msi", PAYLOAD)
    return harness


def copy(h: Harness, vm: str, destination: str, source: str = "setup.msi", **flags: object):
    return h.run(cmd("Copy-VMFile", vm, source, destination, FileSource="Host", **flags))


def failure(sink) -> tuple[str, str]:
    [err] = sink.errors
    assert err.fully_qualified_error_id == "OperationFailed," + COPY and err.category == ErrorCategory.NotSpecified
    first, detail = err.message.split("\n")
    assert first == "Failed to initiate copying files to the guest."
    return first, detail


def test_copy_into_a_windows_guest_folder_and_file(h: Harness) -> None:
    assert copy(h, "win", "C:\\Temp").errors == []
    assert h.vm("win").files.read("C:\\Temp\\setup.msi") == PAYLOAD  # a folder keeps the source's name
    assert copy(h, "win", "C:\\Temp\\renamed.msi", source=DOCS + "\\setup.msi").errors == []
    assert h.vm("win").files.read("c:\\temp\\RENAMED.msi") == PAYLOAD


def test_an_existing_target_needs_force(h: Harness) -> None:
    copy(h, "win", "C:\\Temp")
    _, detail = failure(copy(h, "win", "C:\\Temp"))
    vm = h.vm("win")
    assert detail == (
        f"'win' failed to initiate copying files to the guest: The file exists. (0x80070050) "
        f"(Virtual machine ID {str(vm.id).upper()})"
    )
    h.model.files.write(DOCS + "\\setup.msi", b"v2")
    assert copy(h, "win", "C:\\Temp", Force=True).errors == []
    assert vm.files.read("C:\\Temp\\setup.msi") == b"v2"


def test_missing_folders_need_create_full_path(h: Harness) -> None:
    _, detail = failure(copy(h, "rhel", "/opt/app/bin/setup.msi"))
    assert "The system cannot find the path specified. (0x80070003)" in detail
    assert copy(h, "rhel", "/opt/app/bin/setup.msi", CreateFullPath=True).errors == []
    assert h.vm("rhel").files.read("/opt/app/bin/setup.msi") == PAYLOAD


def test_linux_guests_and_non_ascii_names(h: Harness) -> None:
    h.model.files.write(DOCS + "\\Bericht-Größe.txt", b"x")
    assert copy(h, "rhel", "/tmp/", source="Bericht-Größe.txt").errors == []
    assert h.vm("rhel").files.exists("/tmp/Bericht-GrXXe.txt")  # hv_fcopy_uio_daemon replaces non-ASCII
    assert "The filename, directory name, or volume label syntax is incorrect." in failure(copy(h, "rhel", "tmp"))[1]


@pytest.mark.parametrize("vm", ["gsi-off", "ubuntu"])
def test_without_an_answering_guest_service_the_copy_fails(h: Harness, vm: str) -> None:
    """GSI disabled (the default), or enabled on a Linux guest without hv_fcopy_uio_daemon."""
    _first, detail = failure(copy(h, vm, "/tmp/" if vm == "ubuntu" else "C:\\Temp"))
    assert "failed to initiate copying files to the guest" in detail
    assert not h.vm(vm).files.exists("/tmp/setup.msi" if vm == "ubuntu" else "C:\\Temp\\setup.msi")


def test_enabling_gsi_lets_the_copy_through_once_the_guest_answers(h: Harness) -> None:
    failure(copy(h, "gsi-off", "C:\\Temp"))
    h.run(cmd("Enable-VMIntegrationService", "Guest Service Interface", "gsi-off"))
    failure(copy(h, "gsi-off", "C:\\Temp"))  # vmicguestinterface has not connected yet
    h.clock.advance(HANDSHAKE_SECONDS)
    assert copy(h, "gsi-off", "C:\\Temp").errors == []


def test_a_vm_that_does_not_run_is_in_an_invalid_state(h: Harness) -> None:
    [err] = copy(h, "off", "C:\\Temp").errors
    assert err.fully_qualified_error_id == "OperationFailed," + COPY
    assert err.category == ErrorCategory.InvalidOperation
    assert err.message == "The operation cannot be performed while the virtual machine is in its current state."


def test_a_source_missing_on_the_host(h: Harness) -> None:
    assert "The system cannot find the file specified. (0x80070002)" in failure(copy(h, "win", "C:\\", "nope"))[1]


def test_copy_vm_file_binds_strictly(h: Harness) -> None:
    err = h.fails(cmd("Copy-VMFile", "win", "setup.msi", "C:\\Temp"))
    assert err.message == "Cannot process command because of one or more missing mandatory parameters: FileSource."
    err = h.fails(cmd("Copy-VMFile", "win", "setup.msi", "C:\\Temp", FileSource="Guest"))
    assert err.fully_qualified_error_id == "CannotConvertArgumentNoMessage," + COPY
    assert "try again:\r\nHost" in err.message
    # The VM through the pipeline (VMObject set), the source by name, "host" in any case.
    sink = h.run(
        cmd("Get-VM", "win"),
        cmd("Copy-VMFile", SourcePath="setup.msi", DestinationPath="C:\\Temp", FileSource="host"),
    )
    assert sink.errors == [] and h.vm("win").files.exists("C:\\Temp\\setup.msi")
    # The source path through the pipeline (by value), the VM by its alias.
    sink = h.run(
        cmd("Copy-VMFile", VMName="win", DestinationPath="C:\\Users", FileSource="Host"),
        pipeline_input=[DOCS + "\\setup.msi"],
    )
    assert sink.errors == [] and h.vm("win").files.exists("C:\\Users\\setup.msi")
    [err] = copy(h, "ghost", "C:\\Temp").errors
    assert err.fully_qualified_error_id == "ObjectNotFound," + COPY
    assert copy(h, "win", "C:\\Windows", WhatIf=True).errors == []
    assert not h.vm("win").files.exists("C:\\Windows\\setup.msi")
