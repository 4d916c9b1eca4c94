"""A copy of several files sends them on several work connections at once, when the host's work lane has
slots to spare, and only then: the files arrive intact, nothing stays staged, and the lane's limit holds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from remoting_support import Recorder, is_inventory, read_command_log, run

from hvgui.domain.operations import CopyToGuestOperation, OperationRecord, OperationState, VmTarget
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.staging import STAGING_FOLDER
from hvgui.remoting import OperationsConfig, SessionManager

HOST = "HV-LANES"
FILES = 4
PER_FILE = [
    "Write-HvGuiStagedChunk",
    "Get-HvGuiStagedFile",
    "Copy-HvGuiStagedFileToGuest",
    "Remove-HvGuiStagedFile",
]


@pytest.fixture
def command_log(tmp_path: Path) -> Path:
    return tmp_path / "commands.jsonl"


@pytest.fixture
def emulator(tmp_path: Path, command_log: Path) -> Iterator[RunningEmulator]:
    scenario = {
        "name": "lanes",
        "hosts": [
            {
                "name": HOST,
                "vms": [
                    {"name": "win", "state": "Running", "uptime": 3600, "integration_services": {"guestservice": True}}
                ],
            }
        ],
    }
    path = tmp_path / "lanes.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    # Host calls take a realistic time (4 times as fast), so the files' calls overlap when they run at once.
    with start_emulator(str(path), command_log=str(command_log), cost_profile="realistic", time_scale=4.0) as running:
        yield running


@pytest.fixture
def sources(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "many"
    folder.mkdir()
    paths = []
    for number in range(FILES):
        path = folder / f"part {number}.bin"
        path.write_bytes(bytes([number]) * (48 * 1024 + number))
        paths.append(path)
    return paths


def _model(emulator: RunningEmulator) -> Any:
    return next(h.model for h in emulator.scenario.hosts if h.model.name == HOST)


def copy(emulator: RunningEmulator, sources: list[Path], limit: int) -> tuple[OperationRecord, int]:
    async def body() -> tuple[OperationRecord, int]:
        manager = SessionManager(
            refresh_interval=3600.0, connect_timeout=5, operations=OperationsConfig(merge_window=0.2, limit=limit)
        )
        recorder = Recorder()
        manager.subscribe(recorder)
        endpoint = next(e for e in emulator.endpoints if e.host_name == HOST)
        session = manager.add_host(endpoint.connection_settings(), endpoint.password)
        try:
            await recorder.wait_for(is_inventory(session.key))
            assert session.inventory is not None
            vm = next(v for v in session.inventory.vms if v.name == "win")
            target = VmTarget.of(vm, session.settings.host)
            operation = CopyToGuestOperation(target, tuple(str(s) for s in sources), "C:\\Many")
            record = await session.operations.submit(operation).wait()
            return record, session.operations.lane.size
        finally:
            await manager.aclose()

    return run(body)


def transfer_order(command_log: Path) -> list[str]:
    """The staged file (TransferId) of each per-file call, in the order the host received them."""
    return [
        str(e["parameters"]["TransferId"])
        for e in read_command_log(command_log)
        if e.get("command") in PER_FILE and "TransferId" in e.get("parameters", {})
    ]


def interleaved(order: list[str]) -> bool:
    """Whether some file's calls came between another file's first and last call."""
    span = {t: (order.index(t), len(order) - 1 - order[::-1].index(t)) for t in set(order)}
    return any(a != b and span[a][0] < span[b][0] < span[a][1] for a in span for b in span)


def test_several_files_go_on_several_connections_and_arrive_intact(emulator, sources, command_log) -> None:
    record, connections = copy(emulator, sources, limit=4)
    assert record.state is OperationState.Succeeded, record.message
    assert connections >= 2
    assert interleaved(transfer_order(command_log))
    vm = next(v for v in _model(emulator).vms if v.name == "win")
    for source in sources:
        assert vm.files.read(f"C:\\Many\\{source.name}") == source.read_bytes()
    assert _model(emulator).files.files_under(STAGING_FOLDER) == {}
    assert [f.outcome.value for f in record.result.files] == ["copied"] * FILES
    assert [f.guest_path for f in record.result.files] == [f"C:\\Many\\{s.name}" for s in sources]


def test_a_lane_of_one_sends_one_file_at_a_time(emulator, sources, command_log) -> None:
    record, connections = copy(emulator, sources[:2], limit=1)
    assert record.state is OperationState.Succeeded, record.message
    assert connections == 1
    assert not interleaved(transfer_order(command_log))
