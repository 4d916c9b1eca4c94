"""The download half of a copy out of a guest: files the host staged for a transfer come to this computer over
loopback with the real pypsrp client, byte-identical and verified, through temporary files that never outlive
the copy; the staged folder on the host is gone afterwards whatever happened."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from pathlib import Path

import pytest
from remoting_support import run

from hvgui.domain.errors import HostCommandError, ProtocolError
from hvgui.domain.operations import ExistingFile, OperationProgress
from hvgui.emulator import RunningEmulator
from hvgui.emulator.hyperv.staging import STAGING_FOLDER, staged_folder
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.transfers.download import PART_SUFFIX, StagedItem, download_staged
from hvgui.remoting.transfers.host_calls import StagingCalls
from hvgui.remoting.transfers.report import CopyReport, FileOutcome

TREE = {
    "Logs\\setup log.txt": b"line 1\r\nline 2\r\n",
    'Logs\\it\'s "quoted" $(whoami).txt': b"$(Remove-Item C:\\ -Recurse)",
    "Logs\\Überprüfung – 日本\\données.bin": os.urandom(200_000),
    "Logs\\empty.txt": b"",
}


def _model(demo: RunningEmulator):
    return demo.scenario.hosts[0].model


def _stage(demo: RunningEmulator, transfer: uuid.UUID, files: dict[str, bytes]) -> list[StagedItem]:
    """What Copy-Item -FromSession leaves in the transfer's staging folder, and the host's report of it."""
    model = _model(demo)
    with model.lock:
        for relative, data in files.items():
            model.files.write(staged_folder(transfer) + "\\" + relative, data)
    return [StagedItem(r, len(d), hashlib.sha256(d).hexdigest().upper()) for r, d in files.items()]


def _staged(demo: RunningEmulator) -> dict[str, int]:
    model = _model(demo)
    with model.lock:
        return model.files.files_under(STAGING_FOLDER)


def _download(
    demo: RunningEmulator, transfer: uuid.UUID, items: list[StagedItem], folder: Path, existing: ExistingFile, **kw
) -> CopyReport:
    endpoint = demo.endpoints[0]

    async def body() -> CopyReport:
        connection = HostConnection(endpoint.connection_settings(), endpoint.password, connect_timeout=5)
        try:
            return await download_staged(StagingCalls(connection), transfer, items, folder, existing, **kw)
        finally:
            await connection.close()

    return run(body)


@pytest.fixture
def here(tmp_path: Path) -> Path:
    """The local folder the files land in (tmp_path also holds the emulator's command log)."""
    folder = tmp_path / "here"
    folder.mkdir()
    return folder


def _local_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_folder_tree_arrives_byte_identical_and_nothing_stays_staged(demo: RunningEmulator, here: Path) -> None:
    transfer = uuid.uuid4()
    items = _stage(demo, transfer, TREE)
    progress: list[OperationProgress] = []
    report = _download(
        demo, transfer, items, here / "out", ExistingFile.Ask, on_progress=progress.append, chunk_bytes=65_536
    )
    expected = {str(Path(*r.split("\\"))): d for r, d in TREE.items()}
    assert _local_files(here / "out") == expected
    assert [f.outcome for f in report.files] == [FileOutcome.Copied] * len(TREE)
    assert report.copied_bytes == sum(len(d) for d in TREE.values())
    assert progress[-1].percent == 100 and progress[0].percent == 0
    assert len(progress) > len(TREE)  # the large file reports chunk by chunk
    assert _staged(demo) == {}


@pytest.mark.parametrize(
    ("existing", "outcome", "content"),
    [
        (ExistingFile.Skip, FileOutcome.Skipped, b"mine"),
        (ExistingFile.Ask, FileOutcome.Exists, b"mine"),
        (ExistingFile.Overwrite, FileOutcome.Copied, b"theirs"),
    ],
)
def test_a_local_file_of_the_same_name(
    demo: RunningEmulator, here: Path, existing: ExistingFile, outcome: FileOutcome, content: bytes
) -> None:
    transfer = uuid.uuid4()
    items = _stage(demo, transfer, {"a.txt": b"theirs"})
    (here / "a.txt").write_bytes(b"mine")
    report = _download(demo, transfer, items, here, existing)
    assert [f.outcome for f in report.files] == [outcome]
    assert (here / "a.txt").read_bytes() == content
    assert list(here.iterdir()) == [here / "a.txt"]  # no temporary file left
    assert _staged(demo) == {}
    if outcome is FileOutcome.Exists:
        assert report.notes() == (f"{here / 'a.txt'}: exists on this computer; choose Overwrite to replace it.",)


def test_a_file_that_does_not_match_its_sha256_is_not_kept(demo: RunningEmulator, here: Path) -> None:
    transfer = uuid.uuid4()
    [item] = _stage(demo, transfer, {"a.bin": b"x" * 1000})
    wrong = StagedItem(item.relative_path, item.length, hashlib.sha256(b"y").hexdigest().upper())
    with pytest.raises(HostCommandError, match="did not arrive intact"):
        _download(demo, transfer, [wrong], here, ExistingFile.Overwrite, chunk_bytes=100)
    assert list(here.iterdir()) == []
    assert _staged(demo) == {}


def test_a_missing_staged_file_fails_naming_it(demo: RunningEmulator, here: Path) -> None:
    transfer = uuid.uuid4()
    _stage(demo, transfer, {"other.txt": b"o"})
    with pytest.raises(HostCommandError, match=r"Reading 'gone\.txt' from the host failed: .*Could not find file"):
        _download(demo, transfer, [StagedItem("gone.txt", 3, "00")], here, ExistingFile.Ask)
    assert list(here.iterdir()) == []
    assert _staged(demo) == {}


@pytest.mark.parametrize("relative", ["..\\escape.txt", "C:\\Windows\\win.ini", "\\rooted.txt"])
def test_a_reported_path_outside_the_transfer_is_never_followed(
    demo: RunningEmulator, here: Path, relative: str
) -> None:
    transfer = uuid.uuid4()
    _stage(demo, transfer, {"x.txt": b"x"})
    with pytest.raises(ProtocolError, match="outside the transfer"):
        _download(demo, transfer, [StagedItem(relative, 1, "00")], here / "out", ExistingFile.Overwrite)
    assert not (here / "out").exists() and not (here / "escape.txt").exists()
    assert _staged(demo) == {}


def test_a_cancelled_download_leaves_no_partial_file_and_nothing_staged(demo: RunningEmulator, here: Path) -> None:
    transfer = uuid.uuid4()
    items = _stage(demo, transfer, {"big.bin": os.urandom(2_000_000)})
    endpoint = demo.endpoints[0]

    async def body() -> None:
        connection = HostConnection(endpoint.connection_settings(), endpoint.password, connect_timeout=5)
        started = asyncio.Event()

        def on_progress(progress: OperationProgress) -> None:
            if 0 < progress.percent < 100:
                started.set()

        task = asyncio.ensure_future(
            download_staged(
                StagingCalls(connection),
                transfer,
                items,
                here,
                ExistingFile.Overwrite,
                on_progress=on_progress,
                chunk_bytes=16_384,
            )
        )
        try:
            await asyncio.wait_for(started.wait(), 30)
            assert [p.name for p in here.iterdir() if p.name.endswith(PART_SUFFIX)]  # it was under way
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            for _ in range(200):  # the staged folder is removed once the stopped pipeline has ended
                if not _staged(demo):
                    break
                await asyncio.sleep(0.05)
        finally:
            await connection.close()

    run(body)
    assert list(here.iterdir()) == []
    assert _staged(demo) == {}
