"""A copy out of a guest of several guest paths has one meter for the whole operation: every path is staged on
the host first, then one total counts the bytes of all of them, never restarting at a new path, and each file
has its own progress and outcome."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from remoting_support import run

from hvgui.domain.operations import (
    CopyFromGuestOperation,
    ExistingFile,
    FileProgress,
    FileState,
    OperationProgress,
    OperationRecord,
    OperationState,
    VmTarget,
    retry_of,
)
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.staging import STAGING_FOLDER
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.guest_credentials import GuestCredential
from hvgui.remoting.transfers.from_guest import copy_from_guest

HOST = "HV-OUT-TOTAL"
ACCOUNT = GuestCredential(".\\Administrator", "Guest-Pass-1!")
TREE = {
    "C:\\Logs\\a.log": os.urandom(70_000),
    "C:\\Data\\b.bin": os.urandom(90_000),
    "C:\\Data\\deep\\c.bin": os.urandom(50_000),
}


@pytest.fixture
def emulator(tmp_path: Path, command_log: Path) -> Iterator[RunningEmulator]:
    scenario = {
        "name": "out-total",
        "hosts": [
            {
                "name": HOST,
                "guest_credentials": {"user": ACCOUNT.user, "password": ACCOUNT.password},
                "vms": [{"name": "win", "state": "Running", "uptime": 3600}],
            }
        ],
    }
    path = tmp_path / "out.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    with start_emulator(str(path), command_log=str(command_log)) as running:
        win = running.scenario.hosts[0].model.vms[0]
        for guest_path, data in TREE.items():
            win.files.write(guest_path, data)
        yield running


def _operation(emulator: RunningEmulator, folder: Path, **options) -> CopyFromGuestOperation:
    endpoint = emulator.endpoints[0]
    vm = emulator.scenario.hosts[0].model.vms[0]
    target = VmTarget(host=endpoint.host_name, computer_name=endpoint.host_name, vm_id=str(vm.id), vm_name=vm.name)
    return CopyFromGuestOperation(
        target,
        guest_paths=("C:\\Logs\\a.log", "C:\\Data"),
        local_folder=str(folder),
        guest_user=ACCOUNT.user,
        **options,
    )


def _run(emulator: RunningEmulator, operation: CopyFromGuestOperation, seen: list[OperationProgress]):
    endpoint = emulator.endpoints[0]

    async def body():
        connection = HostConnection(endpoint.connection_settings(), endpoint.password, connect_timeout=5)
        try:
            return await copy_from_guest(connection, operation, ACCOUNT, on_progress=seen.append, chunk_bytes=16_384)
        finally:
            await connection.close()

    return run(body)


def test_the_total_counts_every_guest_path_and_never_goes_back(emulator: RunningEmulator, tmp_path: Path) -> None:
    seen: list[OperationProgress] = []
    here = tmp_path / "here"
    report = _run(emulator, _operation(emulator, here), seen)
    downloads = [p for p in seen if p.files]
    total = sum(len(d) for d in TREE.values())
    assert len(downloads) > 3 * len(TREE)  # several chunks per file
    # One list of every file of both paths from the first download report on: the total is known up front.
    assert {len(p.files) for p in downloads} == {len(TREE)}
    assert {sum(f.size for f in p.files) for p in downloads} == {total}
    done = [sum(f.done for f in p.files) for p in downloads]
    percents = [p.percent for p in downloads]
    assert done == sorted(done) and done[0] == 0 and done[-1] == total
    assert percents == sorted(percents) and percents[-1] == 100
    assert any("file 3 of 3" in p.text for p in downloads)  # counted over the operation, not per guest path
    assert not any("file 1 of 2" in p.text for p in downloads)
    assert [f.state for f in downloads[-1].files] == [FileState.Copied] * len(TREE)
    assert [Path(f.name).name for f in downloads[-1].files] == ["a.log", "b.bin", "c.bin"]
    assert [f.guest_path for f in report.files] == [f.name for f in downloads[-1].files]
    assert (here / "Data" / "deep" / "c.bin").read_bytes() == TREE["C:\\Data\\deep\\c.bin"]
    model = emulator.scenario.hosts[0].model
    assert model.files.files_under(STAGING_FOLDER) == {}


def test_a_retry_does_not_download_again_what_the_failed_attempt_brought(
    emulator: RunningEmulator, tmp_path: Path, command_log: Path
) -> None:
    here = tmp_path / "here"
    first = _operation(emulator, here, existing=ExistingFile.Overwrite)
    seen: list[OperationProgress] = []
    _run(emulator, first, seen)
    copied = seen[-1].files
    # As if the attempt had failed after its first two files: the retry leaves them alone.
    failed = OperationRecord(
        first,
        state=OperationState.Failed,
        progress=OperationProgress(None, "", (copied[0], copied[1], FileProgress(copied[2].name, 1))),
    )
    retry = retry_of(failed)
    assert isinstance(retry, CopyFromGuestOperation) and retry.attempt == 2
    assert retry.already_copied == (copied[0].name, copied[1].name)
    (here / "Data" / "deep" / "c.bin").unlink()
    (here / "a.log").write_bytes(b"changed here: a retry must not overwrite it")
    again: list[OperationProgress] = []
    report = _run(emulator, retry, again)
    assert [f.name for f in again[-1].files] == [copied[2].name]
    assert len(report.files) == len(TREE)
    assert (here / "a.log").read_bytes() == b"changed here: a retry must not overwrite it"
    assert (here / "Data" / "deep" / "c.bin").read_bytes() == TREE["C:\\Data\\deep\\c.bin"]
