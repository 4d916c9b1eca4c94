"""Copying files of this computer into a guest: submitted as a `CopyToGuestOperation` on a host session, streamed
to the emulated host's staging folder over loopback with the real pypsrp client, verified, then handed to
Copy-VMFile. Tests read what arrived in the guest's file system (`vm.files`) and what the client sent (the
command log).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from relay_support import DroppingProxy
from remoting_support import Recorder, is_inventory, read_command_log, run

from hvgui.domain.operations import (
    CopyToGuestOperation,
    ExistingFile,
    OperationRecord,
    OperationState,
    VmTarget,
)
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.staging import STAGING_FOLDER
from hvgui.remoting import HostSession, OperationsConfig, SessionManager
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.transfers import CopyRefused, CopyReport, FileOutcome, RefusalReason, copy_to_guest

HOST = "HV-COPY"
STAGING_LIMIT_MB = 8
CHUNK = "Write-HvGuiStagedChunk"


@pytest.fixture
def emulator(tmp_path: Path, command_log: Path) -> Iterator[RunningEmulator]:
    scenario = {
        "name": "copy",
        "hosts": [
            {
                "name": HOST,
                "staging_limit_mb": STAGING_LIMIT_MB,
                "vms": [
                    {"name": "win", "state": "Running", "uptime": 3600, "integration_services": {"guestservice": True}},
                    {"name": "gsi-off", "state": "Running", "uptime": 3600},
                    {"name": "off", "state": "Off", "integration_services": {"guestservice": True}},
                    {
                        "name": "ubuntu",
                        "os": "ubuntu-24.04",
                        "state": "Running",
                        "uptime": 3600,
                        "integration_services": {"guestservice": True},
                    },
                ],
            }
        ],
    }
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    with start_emulator(str(path), command_log=str(command_log)) as running:
        yield running


def _model(emulator: RunningEmulator) -> Any:
    return next(h.model for h in emulator.scenario.hosts if h.model.name == HOST)


def _vm(emulator: RunningEmulator, name: str) -> Any:
    return next(vm for vm in _model(emulator).vms if vm.name == name)


async def _session(emulator: RunningEmulator) -> tuple[SessionManager, HostSession]:
    manager = SessionManager(refresh_interval=3600.0, connect_timeout=5, operations=OperationsConfig(merge_window=0.2))
    recorder = Recorder()
    manager.subscribe(recorder)
    endpoint = next(e for e in emulator.endpoints if e.host_name == HOST)
    session = manager.add_host(endpoint.connection_settings(), endpoint.password)
    await recorder.wait_for(is_inventory(session.key))
    return manager, session


def _operation(session: HostSession, vm_name: str, sources: list[Path], folder: str, **options: Any):
    assert session.inventory is not None
    vm = next(v for v in session.inventory.vms if v.name == vm_name)
    target = VmTarget.of(vm, session.settings.host)
    return CopyToGuestOperation(target, tuple(str(s) for s in sources), folder, **options)


def copy(emulator: RunningEmulator, vm_name: str, sources: list[Path], folder: str, **options: Any) -> OperationRecord:
    async def body() -> OperationRecord:
        manager, session = await _session(emulator)
        try:
            handle = session.operations.submit(_operation(session, vm_name, sources, folder, **options))
            return await handle.wait()
        finally:
            await manager.aclose()

    return run(body)


def chunks_sent(command_log: Path) -> list[dict[str, Any]]:
    return [e for e in read_command_log(command_log) if e.get("command") == CHUNK]


def staged_files(emulator: RunningEmulator) -> dict[str, int]:
    return _model(emulator).files.files_under(STAGING_FOLDER)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder with a zero-byte file, a nested folder and names Windows allows but scripts trip over."""
    root = tmp_path / "source" / "release $(whoami) 'v2'"
    (root / "docs ünïcødé").mkdir(parents=True)
    (root / "empty.txt").write_bytes(b"")
    (root / 'it\'s a "test" `tick`.bin').write_bytes(bytes(range(256)) * 40)
    (root / "docs ünïcødé" / "Ångström $env:PATH.txt").write_bytes("naïve ☃\r\n".encode() * 3)
    return root


def test_a_folder_tree_arrives_byte_identical_and_nothing_stays_staged(
    emulator: RunningEmulator, tree: Path, command_log: Path
) -> None:
    record = copy(emulator, "win", [tree], "C:\\Drop\\new", create_folders=True)
    assert record.state is OperationState.Succeeded, record.message
    guest = _vm(emulator, "win").files
    base = "C:\\Drop\\new\\" + tree.name
    expected = {
        base + "\\empty.txt": b"",
        base + '\\it\'s a "test" `tick`.bin': bytes(range(256)) * 40,
        base + "\\docs ünïcødé\\Ångström $env:PATH.txt": "naïve ☃\r\n".encode() * 3,
    }
    for path, data in expected.items():
        assert guest.read(path) == data, path
    report = record.result
    assert isinstance(report, CopyReport)
    assert [f.outcome for f in report.files] == [FileOutcome.Copied] * 3
    assert staged_files(emulator) == {}
    assert record.progress.percent == 100
    assert "MB" in record.progress.text


def test_a_large_file_goes_in_several_chunks_with_progress(
    emulator: RunningEmulator, tmp_path: Path, command_log: Path
) -> None:
    data = bytes(range(251)) * (5 * 1024 * 1024 // 251)  # ~5 MB: two chunks of 4 MiB
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    record = copy(emulator, "win", [source], "C:\\Temp")
    assert record.state is OperationState.Succeeded, record.message
    assert _vm(emulator, "win").files.read("C:\\Temp\\big.bin") == data
    offsets = [e["parameters"]["Offset"] for e in chunks_sent(command_log)]
    assert offsets == [0, 4 * 1024 * 1024]


@pytest.mark.parametrize(
    ("vm_name", "folder", "expected", "reason"),
    [
        ("off", "C:\\Temp", "is not running", RefusalReason.VmNotRunning),
        ("gsi-off", "C:\\Temp", "Guest Service Interface is disabled", RefusalReason.GuestServiceDisabled),
        ("ubuntu", "/tmp", "hv_fcopy_uio_daemon", RefusalReason.GuestServiceNotAnswering),
    ],
)
def test_a_copy_that_cannot_work_is_refused_before_any_byte_is_sent(
    emulator: RunningEmulator,
    tmp_path: Path,
    command_log: Path,
    vm_name: str,
    folder: str,
    expected: str,
    reason: RefusalReason,
) -> None:
    source = tmp_path / "a.txt"
    source.write_bytes(b"hello")
    record = copy(emulator, vm_name, [source], folder)
    assert record.state is OperationState.Failed
    assert expected in record.message
    assert isinstance(record.error, CopyRefused) and record.error.reason is reason
    assert chunks_sent(command_log) == []
    assert "Get-HvGuiCopyTarget" in [e.get("command") for e in read_command_log(command_log)]


def test_a_file_larger_than_the_staging_room_is_refused_before_any_byte(
    emulator: RunningEmulator, tmp_path: Path, command_log: Path
) -> None:
    source = tmp_path / "huge.iso"
    source.write_bytes(b"\0" * (STAGING_LIMIT_MB * 1024 * 1024 + 1))
    record = copy(emulator, "win", [source], "C:\\Temp")
    assert record.state is OperationState.Failed
    assert "staging folder" in record.message and "huge.iso" in record.message
    assert isinstance(record.error, CopyRefused) and record.error.reason is RefusalReason.StagingFull
    assert chunks_sent(command_log) == []


def test_skip_keeps_the_guest_file_and_overwrite_replaces_it(emulator: RunningEmulator, tmp_path: Path) -> None:
    guest = _vm(emulator, "win").files
    guest.write("C:\\Temp\\a.txt", b"old")
    source = tmp_path / "a.txt"
    source.write_bytes(b"new")
    fresh = tmp_path / "b.txt"
    fresh.write_bytes(b"b")

    skipped = copy(emulator, "win", [source, fresh], "C:\\Temp", existing=ExistingFile.Skip)
    assert skipped.state is OperationState.Succeeded, skipped.message
    assert guest.read("C:\\Temp\\a.txt") == b"old" and guest.read("C:\\Temp\\b.txt") == b"b"
    assert [f.outcome for f in skipped.result.files] == [FileOutcome.Skipped, FileOutcome.Copied]

    asked = copy(emulator, "win", [source], "C:\\Temp", existing=ExistingFile.Ask)
    assert asked.state is OperationState.Succeeded
    assert guest.read("C:\\Temp\\a.txt") == b"old"
    assert asked.warnings == ("C:\\Temp\\a.txt: exists in the guest; choose Overwrite to replace it.",)

    overwritten = copy(emulator, "win", [source], "C:\\Temp", existing=ExistingFile.Overwrite)
    assert overwritten.state is OperationState.Succeeded
    assert guest.read("C:\\Temp\\a.txt") == b"new"
    assert staged_files(emulator) == {}


def test_a_failed_copy_leaves_nothing_staged(emulator: RunningEmulator, tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_bytes(b"data")
    record = copy(emulator, "win", [source], "C:\\Missing\\Folder", create_folders=False)
    assert record.state is OperationState.Failed
    assert "a.txt" in record.message and "Failed to initiate copying files to the guest" in record.message
    assert staged_files(emulator) == {}


def test_a_connection_cut_mid_file_resumes_from_what_is_staged_and_verifies(
    emulator: RunningEmulator, tmp_path: Path, command_log: Path
) -> None:
    data = bytes(range(256)) * 40  # 10 KiB in 1 KiB chunks
    source = tmp_path / "resume.bin"
    source.write_bytes(data)
    endpoint = next(e for e in emulator.endpoints if e.host_name == HOST)
    proxy = DroppingProxy(endpoint.connection_settings().port)
    files = _model(emulator).files
    write_at = files.write_at
    writes = 0

    def write_then_cut(path: str, offset: int, chunk: bytes) -> int:
        nonlocal writes
        length = write_at(path, offset, chunk)
        writes += 1
        if writes == 3:  # the third chunk is on the host, but its answer never reaches the client
            proxy.cut()
        return length

    files.write_at = write_then_cut
    settings = dataclasses.replace(endpoint.connection_settings(), port=proxy.port)
    connection = HostConnection(settings, endpoint.password, connect_timeout=5)
    vm = _vm(emulator, "win")
    target = VmTarget(settings.key, settings.host, str(vm.id), "win")
    operation = CopyToGuestOperation(target, (str(source),), "C:\\Temp")

    async def body() -> CopyReport:
        try:
            return await copy_to_guest(connection, operation, chunk_bytes=1024)
        finally:
            await connection.close()

    try:
        report = run(body)
    finally:
        proxy.close()
    assert [f.outcome for f in report.files] == [FileOutcome.Copied]
    assert vm.files.read("C:\\Temp\\resume.bin") == data
    offsets = [e["parameters"]["Offset"] for e in chunks_sent(command_log)]
    assert offsets == [1024 * i for i in range(10)]  # the fourth chunk follows the three staged ones, not 0
    assert connection.pools_opened == 2
    assert staged_files(emulator) == {}


def test_a_cancelled_copy_leaves_nothing_staged_and_nothing_in_the_guest(tmp_path: Path, command_log: Path) -> None:
    scenario = {
        "name": "slow",
        "cost_profile": {"name": "slow-chunks", "cmdlets": {"Write-HvGuiStagedChunk": {"base": 0.5, "per_object": 0}}},
        "hosts": [
            {
                "name": HOST,
                "vms": [
                    {"name": "win", "state": "Running", "uptime": 3600, "integration_services": {"guestservice": True}}
                ],
            }
        ],
    }
    path = tmp_path / "slow.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    source = tmp_path / "big.bin"
    source.write_bytes(b"\x5a" * (3 * 4 * 1024 * 1024))

    with start_emulator(str(path), command_log=str(command_log)) as emulator:

        async def body() -> OperationRecord:
            manager, session = await _session(emulator)
            try:
                handle = session.operations.submit(_operation(session, "win", [source], "C:\\Temp"))
                while not staged_files(emulator):
                    await asyncio.sleep(0.05)
                running = handle.record
                assert running.state is OperationState.Running and running.cancellable  # Cancel stays offered
                assert running.cancel_effect is not None and "removes what it staged" in running.cancel_effect
                assert handle.cancel()
                record = await handle.wait()
                for _ in range(200):  # the staged file is removed once the stopped pipeline has ended
                    if not staged_files(emulator):
                        break
                    await asyncio.sleep(0.05)
                return record
            finally:
                await manager.aclose()

        record = run(body)
        assert record.state is OperationState.Cancelled
        assert "removes what it staged" in record.message
        assert staged_files(emulator) == {}
        assert not _vm(emulator, "win").files.exists("C:\\Temp\\big.bin")
        assert "Remove-HvGuiStagedFile" in [e.get("command") for e in read_command_log(command_log)]


def test_a_copy_that_outlasts_its_deadline_is_never_called_still_running_on_the_host(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """A transfer is hvgui's own calls: the deadline of a host job does not apply to it."""
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024))

    async def body() -> list[OperationRecord]:
        manager = SessionManager(
            refresh_interval=3600.0,
            connect_timeout=5,
            operations=OperationsConfig(merge_window=0.2, deadlines={"copy-to-guest": 0.01}),
        )
        recorder = Recorder()
        manager.subscribe(recorder)
        seen: list[OperationRecord] = []
        manager.subscribe_operations(seen.append)
        endpoint = next(e for e in emulator.endpoints if e.host_name == HOST)
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        await recorder.wait_for(is_inventory(session.key))
        try:
            await session.operations.submit(_operation(session, "win", [source], "C:\\Temp")).done()
        finally:
            await manager.aclose()
        return seen

    seen = run(body)
    assert seen[-1].state is OperationState.Succeeded, seen[-1].message
    assert OperationState.StillRunning not in {r.state for r in seen}
    assert _vm(emulator, "win").files.read("C:\\Temp\\big.bin") == source.read_bytes()
