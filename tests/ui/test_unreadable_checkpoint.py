"""The issue's example end to end: a checkpoint whose name holds a control character is created; the
Checkpoints tab then either lists it or says its list is incomplete, never shows a list that only looks
whole."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_support import connect, vm_key
from qasync_loop import wait_until

from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.remoting.connection import HostConnection
from hvgui.remoting.hostapi import HostApi
from hvgui.ui.controllers import HostsController
from hvgui.ui.inline_message import MessageKind
from hvgui.ui.main_window import MainWindow

NAME = "bell\x07name"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo") as running:
        yield running


@pytest.fixture
def window(qtbot, loop) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(controller.aclose())


def test_a_checkpoint_the_client_cannot_read_marks_the_list_incomplete(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    key = vm_key(emulator, "HV-DEMO-01", "dc01")
    endpoint = next(e for e in emulator.endpoints if e.host_name == "HV-DEMO-01")

    async def create() -> None:  # another console creates it (the tab's own create button trims nothing)
        connection = HostConnection(endpoint.connection_settings(), endpoint.password)
        await HostApi(connection).checkpoint(key.vm_id, NAME)
        await connection.close()

    loop.run_until_complete(create())
    assert window.select_vm(key)
    window.vm_panel.show_tab("checkpoints")
    tab = window.vm_panel.checkpoints
    loop.run_until_complete(
        wait_until(lambda: tab.count_label.text() not in ("", "loading\u2026"), what="the checkpoint list")
    )
    listed = NAME in tab.model.names()
    incomplete = tab.message.kind() is MessageKind.Warning and "Incomplete" in tab.message.text()
    assert listed != incomplete  # exactly one of the two: read faithfully, or reported as unreadable
