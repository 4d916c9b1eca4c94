"""Fixtures for remoting tests: real emulated hosts on loopback, reached with the real pypsrp client.

Each test runs its own asyncio loop (`remoting_support.run`), so nothing leaks between tests. Waits on
events use generous limits only as a safety net against a hang; no test asserts how fast anything is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hvgui.emulator import RunningEmulator, start_emulator


@pytest.fixture
def command_log(tmp_path: Path) -> Path:
    return tmp_path / "commands.jsonl"


@pytest.fixture
def demo(command_log: Path) -> Iterator[RunningEmulator]:
    """The demo scenario over HTTP, with a command log."""
    with start_emulator("demo", command_log=str(command_log)) as emulator:
        yield emulator


@pytest.fixture
def demo_tls() -> Iterator[RunningEmulator]:
    with start_emulator("demo", tls=True) as emulator:
        yield emulator
