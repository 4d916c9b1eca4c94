"""Reading back what a copy out of a guest staged on the host, over loopback with the real pypsrp client:
chunks arrive as byte arrays, byte-identical, and the host refuses reads outside the transfer's folder."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import pytest
from remoting_support import read_command_log, run

from hvgui.domain.errors import HostCommandError
from hvgui.emulator import RunningEmulator
from hvgui.emulator.hyperv.staging import STAGING_FOLDER, staged_folder
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.transfers.host_calls import StagingCalls

NAME = "logs\\it's $(whoami) – ünïcode.bin"


def _stage(demo: RunningEmulator, transfer: uuid.UUID, files: dict[str, bytes]) -> None:
    model = demo.scenario.hosts[0].model
    with model.lock:
        for relative, data in files.items():
            model.files.write(staged_folder(transfer) + "\\" + relative, data)


def _calls(demo: RunningEmulator) -> StagingCalls:
    endpoint = demo.endpoints[0]
    return StagingCalls(
        HostConnection(endpoint.connection_settings(), endpoint.password, connect_timeout=5, operation_timeout=20)
    )


def test_a_staged_file_comes_back_byte_identical_in_chunks(demo: RunningEmulator, command_log: Path) -> None:
    data = os.urandom(300_000)
    transfer = uuid.uuid4()
    _stage(demo, transfer, {NAME: data, "empty.txt": b""})

    async def body() -> None:
        calls = _calls(demo)
        try:
            received = bytearray()
            while len(received) < len(data):
                chunk = await calls.read_chunk(transfer, NAME, len(received), 65_536)
                assert chunk, "a read before the end returns bytes"
                received += chunk
            assert await calls.read_chunk(transfer, NAME, len(data), 65_536) == b""
            assert hashlib.sha256(received).digest() == hashlib.sha256(data).digest()
            assert await calls.read_chunk(transfer, "empty.txt", 0, 10) == b""
            await calls.remove(transfer)
        finally:
            await calls.connection.close()

    run(body)
    model = demo.scenario.hosts[0].model
    with model.lock:
        assert model.files.files_under(STAGING_FOLDER) == {}
    entries = read_command_log(command_log)
    reads = [e for e in entries if e.get("command") == "Read-HvGuiStagedChunk"]
    assert reads and all(e["parameters"]["RelativePath"] in (NAME, "empty.txt") for e in reads)
    assert not [e for e in entries if e.get("command") is None and "whoami" in json.dumps(e)]  # never script text


@pytest.mark.parametrize("relative", ["..\\..\\..\\Windows\\win.ini", "C:\\Windows\\win.ini"])
def test_a_path_outside_the_transfer_is_refused(demo: RunningEmulator, relative: str) -> None:
    transfer = uuid.uuid4()
    _stage(demo, transfer, {"x.txt": b"abc"})

    async def body() -> None:
        calls = _calls(demo)
        try:
            with pytest.raises(HostCommandError, match="not inside the transfer's staging folder"):
                await calls.read_chunk(transfer, relative, 0, 10)
            with pytest.raises(HostCommandError, match="Could not find file"):
                await calls.read_chunk(transfer, "missing.txt", 0, 10)
        finally:
            await calls.connection.close()

    run(body)
