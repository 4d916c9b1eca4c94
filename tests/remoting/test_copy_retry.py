"""A copy into a guest that fails because the host dropped (beyond the in-attempt resume), then Retry: the
staged file stays on the host, the retry checks its SHA-256 against the local file's beginning and goes on
from it; a staged file that is not the beginning is sent again; dismissing the failed copy, or closing the
session, removes what it kept; stale staged files go before a session's first copy.

The emulated host is reached through a relay that can cut its connections and refuse new ones, so the
connection stays gone while the engine tries to resume. Tests read the command log (what the client sent
to the host) and the host's files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from relay_support import DroppingProxy
from remoting_support import Recorder, is_inventory, read_command_log, run

from hvgui.domain.errors import ConnectionFailed
from hvgui.domain.operations import (
    CopyToGuestOperation,
    FileState,
    OperationRecord,
    OperationState,
    VmTarget,
    retry_of,
    staged_transfers,
)
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.staging import STAGING_FOLDER, staged_path
from hvgui.remoting import HostSession, OperationsConfig, SessionManager
from hvgui.remoting.transfers import upload

HOST = "HV-RETRY"
CHUNK = 1024


@pytest.fixture
def emulator(tmp_path: Path, command_log: Path) -> Iterator[RunningEmulator]:
    scenario = {
        "name": "retry",
        "hosts": [
            {
                "name": HOST,
                "vms": [
                    {"name": "win", "state": "Running", "uptime": 3600, "integration_services": {"guestservice": True}}
                ],
            }
        ],
    }
    path = tmp_path / "retry.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    with start_emulator(str(path), command_log=str(command_log)) as running:
        yield running


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """1 KiB chunks and no pause before resuming, so a few KiB make several chunks and a drop fails fast."""
    monkeypatch.setattr(upload, "CHUNK_BYTES", CHUNK)
    monkeypatch.setattr(upload, "RESUME_PAUSE", 0.01)
    original = upload.copy_to_guest.__kwdefaults__["chunk_bytes"]
    monkeypatch.setitem(upload.copy_to_guest.__kwdefaults__, "chunk_bytes", CHUNK)
    assert original != CHUNK


def _model(emulator: RunningEmulator) -> Any:
    return next(h.model for h in emulator.scenario.hosts if h.model.name == HOST)


def _vm(emulator: RunningEmulator) -> Any:
    return next(vm for vm in _model(emulator).vms if vm.name == "win")


def staged_files(emulator: RunningEmulator) -> dict[str, int]:
    return _model(emulator).files.files_under(STAGING_FOLDER)


class Rig:
    """A session reaching the host through a `DroppingProxy`, and a trap that drops the host once the host has
    written `drop_after` chunks."""

    def __init__(self, emulator: RunningEmulator, drop_after: int | None) -> None:
        self.emulator = emulator
        endpoint = next(e for e in emulator.endpoints if e.host_name == HOST)
        self.proxy = DroppingProxy(endpoint.connection_settings().port)
        self.settings = replace(endpoint.connection_settings(), port=self.proxy.port)
        self.password = endpoint.password
        self.drop_after = drop_after
        self.writes = 0
        files = _model(emulator).files
        write_at = files.write_at

        def write_then_drop(path: str, offset: int, chunk: bytes) -> int:
            length = write_at(path, offset, chunk)
            if path.lower().startswith(STAGING_FOLDER.lower()):
                self.writes += 1
                if self.writes == self.drop_after:
                    self.proxy.drop()
            return length

        files.write_at = write_then_drop
        self.manager: SessionManager | None = None
        self.session: HostSession | None = None

    async def open(self) -> HostSession:
        self.manager = SessionManager(
            refresh_interval=3600.0,
            connect_timeout=5,
            # One work connection: the files go one after another, so the drop finds the first one copied and
            # the second one part-way (a copy of several files otherwise sends them at once).
            operations=OperationsConfig(merge_window=0.2, confirm_wait=0.5, limit=1),
        )
        recorder = Recorder()
        self.manager.subscribe(recorder)
        self.session = self.manager.add_host(self.settings, self.password)
        await recorder.wait_for(is_inventory(self.session.key))
        return self.session

    def operation(self, sources: list[Path]) -> CopyToGuestOperation:
        assert self.session is not None and self.session.inventory is not None
        vm = next(v for v in self.session.inventory.vms if v.name == "win")
        return CopyToGuestOperation(VmTarget.of(vm, self.settings.host), tuple(str(s) for s in sources), "C:\\Temp")

    async def close(self) -> None:
        if self.manager is not None:
            await self.manager.aclose()
        self.proxy.close()


def _log_from(command_log: Path, start: int) -> list[dict[str, Any]]:
    return read_command_log(command_log)[start:]


def _offsets(entries: list[dict[str, Any]]) -> list[int]:
    return [e["parameters"]["Offset"] for e in entries if e.get("command") == "Write-HvGuiStagedChunk"]


def _fail_then(emulator: RunningEmulator, command_log: Path, sources: list[Path], between, *, drop_after: int):
    """Copy `sources` until the host drops after `drop_after` staged chunks (the copy fails), run
    `between(rig, failed record)`, let the host come back, retry; returns (failed, retried, log of the retry)."""

    async def body() -> tuple[OperationRecord, OperationRecord | None, list[dict[str, Any]]]:
        rig = Rig(emulator, drop_after)
        try:
            session = await rig.open()
            failed = await session.operations.submit(rig.operation(sources)).done()
            rig.proxy.back()
            go_on = await between(rig, failed)
            if not go_on:
                return failed, None, []
            start = len(read_command_log(command_log))
            handle = session.operations.retry(failed.op_id)
            assert handle is not None
            retried = await handle.done()
            return failed, retried, _log_from(command_log, start)
        finally:
            await rig.close()

    return run(body)


def test_a_retry_after_the_host_dropped_goes_on_from_what_is_staged(
    emulator: RunningEmulator, tmp_path: Path, command_log: Path
) -> None:
    first = tmp_path / "first.txt"
    first.write_bytes(b"copied before the drop")
    data = bytes(range(256)) * 40  # 10 KiB: 10 chunks
    second = tmp_path / "second.bin"
    second.write_bytes(data)
    kept: dict[str, int] = {}

    async def between(rig: Rig, failed: OperationRecord) -> bool:
        kept.update(staged_files(emulator))
        return True

    # The first file is one chunk; the host drops once it holds three chunks of the second.
    failed, retried, log = _fail_then(emulator, command_log, [first, second], between, drop_after=4)
    assert failed.state is OperationState.Failed and isinstance(failed.error, ConnectionFailed)
    files = {f.name: f for f in failed.progress.files}
    assert files["C:\\Temp\\first.txt"].state is FileState.Copied
    interrupted = files["C:\\Temp\\second.bin"]
    assert interrupted.state is FileState.Interrupted and interrupted.reason and interrupted.staged
    assert staged_transfers(failed) == (interrupted.staged,)
    assert kept == {staged_path(interrupted.staged): 3 * CHUNK}  # kept on the host, not removed
    assert retried is not None and retried.state is OperationState.Succeeded, retried.message
    assert retried.operation.attempt == 2
    # The retry verified the staged prefix and went on from it: no byte of it was sent again ...
    assert _offsets(log) == [CHUNK * i for i in range(3, 10)]
    asked = [bool(e["parameters"].get("Sha256")) for e in log if e.get("command") == "Get-HvGuiStagedFile"]
    assert asked[:2] == [False, True]  # the staged length, then the SHA-256 of what is staged
    # ... and the file copied in the failed attempt was not copied again.
    copied = [e["parameters"]["DestinationPath"] for e in log if e.get("command") == "Copy-HvGuiStagedFileToGuest"]
    assert copied == ["C:\\Temp\\second.bin"]
    assert _vm(emulator).files.read("C:\\Temp\\second.bin") == data
    assert _vm(emulator).files.read("C:\\Temp\\first.txt") == b"copied before the drop"
    assert [f.state for f in retried.progress.files] == [FileState.Copied]
    assert staged_files(emulator) == {}


def test_a_staged_file_that_is_not_the_files_beginning_is_sent_again(
    emulator: RunningEmulator, tmp_path: Path, command_log: Path
) -> None:
    data = bytes(range(256)) * 24  # 6 KiB
    source = tmp_path / "corrupt.bin"
    source.write_bytes(data)

    async def between(rig: Rig, failed: OperationRecord) -> bool:
        (path,) = staged_files(emulator)
        files = _model(emulator).files
        with _model(emulator).lock:
            held = bytearray(files.read(path))
            held[100] ^= 0xFF  # same length, one byte different
            files.write(path, bytes(held))
        return True

    failed, retried, log = _fail_then(emulator, command_log, [source], between, drop_after=2)
    assert failed.state is OperationState.Failed
    assert retried is not None and retried.state is OperationState.Succeeded, retried.message
    assert _offsets(log) == [CHUNK * i for i in range(6)]  # from zero: the staged prefix did not match
    assert _vm(emulator).files.read("C:\\Temp\\corrupt.bin") == data
    assert staged_files(emulator) == {}


def test_dismissing_a_failed_copy_removes_what_it_kept_staged(
    emulator: RunningEmulator, tmp_path: Path, command_log: Path
) -> None:
    source = tmp_path / "dismissed.bin"
    source.write_bytes(b"\x11" * (4 * CHUNK))
    seen: dict[str, Any] = {}

    async def between(rig: Rig, failed: OperationRecord) -> bool:
        assert rig.session is not None
        seen["kept"] = dict(staged_files(emulator))
        seen["ids"] = rig.session.operations.kept_staged(failed.op_id)
        task = rig.session.operations.discard_staged(failed.op_id)
        assert task is not None
        seen["removed"] = await task
        seen["after"] = dict(staged_files(emulator))
        seen["again"] = rig.session.operations.discard_staged(failed.op_id)
        return False

    failed, _retried, _log = _fail_then(emulator, command_log, [source], between, drop_after=2)
    assert failed.state is OperationState.Failed
    assert seen["ids"] == staged_transfers(failed) and len(seen["ids"]) == 1
    assert list(seen["kept"]) == [staged_path(seen["ids"][0])]
    assert seen["removed"] == 1 and seen["after"] == {} and seen["again"] is None


def test_closing_the_session_removes_what_failed_copies_kept_staged(
    emulator: RunningEmulator, tmp_path: Path, command_log: Path
) -> None:
    source = tmp_path / "closed.bin"
    source.write_bytes(b"\x22" * (4 * CHUNK))
    seen: dict[str, Any] = {}

    async def between(rig: Rig, failed: OperationRecord) -> bool:
        seen["kept"] = dict(staged_files(emulator))
        return False  # the rig closes the session

    failed, _retried, _log = _fail_then(emulator, command_log, [source], between, drop_after=2)
    assert failed.state is OperationState.Failed
    assert len(seen["kept"]) == 1
    assert staged_files(emulator) == {}


def test_a_host_refusal_or_a_successful_copy_keeps_nothing_to_retry(emulator: RunningEmulator, tmp_path: Path) -> None:
    source = tmp_path / "fine.txt"
    source.write_bytes(b"fine")

    async def body() -> tuple[OperationRecord, OperationRecord]:
        rig = Rig(emulator, None)
        try:
            session = await rig.open()
            done = await session.operations.submit(rig.operation([source])).done()
            refused_op = replace(rig.operation([source]), guest_folder="C:\\Missing\\Folder", create_folders=False)
            refused = await session.operations.submit(refused_op).done()
            return done, refused
        finally:
            await rig.close()

    done, refused = run(body)
    assert done.state is OperationState.Succeeded and staged_transfers(done) == ()
    assert retry_of(done) is None
    assert refused.state is OperationState.Failed and staged_transfers(refused) == ()
    assert [f.state for f in refused.progress.files] == [FileState.Failed]
    assert "Failed to initiate copying files to the guest" in refused.progress.files[0].reason
    assert staged_files(emulator) == {}


def test_stale_staged_files_are_removed_before_the_sessions_first_copy_only(
    emulator: RunningEmulator, tmp_path: Path, command_log: Path
) -> None:
    model = _model(emulator)
    old, fresh = (
        STAGING_FOLDER + "\\0f7e5d9a-1111-4a4a-9b9b-123456789abc.part",
        STAGING_FOLDER + "\\" + ("0f7e5d9a-2222-4a4a-9b9b-123456789abc.part"),
    )
    with model.lock:
        model.files.write(old, b"left by a client that crashed")
        model.files.write(fresh, b"another copy is writing this")
        model.files.set_last_write(old, model.wall_clock() - 48 * 3600)
    source = tmp_path / "a.txt"
    source.write_bytes(b"a")

    async def body() -> None:
        rig = Rig(emulator, None)
        try:
            session = await rig.open()
            for _ in range(2):
                record = await session.operations.submit(rig.operation([source])).done()
                assert record.state is OperationState.Succeeded, record.message
        finally:
            await rig.close()

    run(body)
    assert staged_files(emulator) == {fresh: len(b"another copy is writing this")}
    sweeps = [e for e in read_command_log(command_log) if e.get("command") == "Remove-HvGuiStaleStagedFile"]
    assert [e["parameters"]["OlderThanHours"] for e in sweeps] == [24]
