"""The composition root's last line of defence: unhandled errors are logged and shown, never lost."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest
from PySide6.QtWidgets import QMessageBox

from hvgui import app as hvgui_app
from hvgui.remoting import SessionManager
from hvgui.ui import error_dialog
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot) -> MainWindow:
    w = MainWindow(HostsController(SessionManager()))
    qtbot.addWidget(w)
    return w


@pytest.fixture(autouse=True)
def no_leftover_dialog():
    yield
    if error_dialog._open_dialog is not None:
        error_dialog._open_dialog.close()
    error_dialog._open_dialog = None


def test_an_error_in_a_loop_callback_is_logged_and_shown(qtbot, loop, window, caplog) -> None:
    hooks = hvgui_app._ExceptionHooks(window, interactive=True)
    hooks.install(loop)
    try:

        def broken() -> None:
            raise RuntimeError("boom in a callback")

        async def scenario() -> None:
            loop.call_soon(broken)
            await asyncio.sleep(0.05)

        with caplog.at_level(logging.ERROR, logger="hvgui"):
            loop.run_until_complete(scenario())
    finally:
        hooks.uninstall()
    assert "boom in a callback" in caplog.text
    box = error_dialog._open_dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "boom in a callback" in box.informativeText()
    assert "Traceback" in box.detailedText()


def test_excepthook_logs_shows_one_dialog_at_a_time(qtbot, window, caplog) -> None:
    hooks = hvgui_app._ExceptionHooks(window, interactive=True)
    previous = sys.excepthook
    other_loop = asyncio.new_event_loop()
    hooks.install(other_loop)
    try:
        assert sys.excepthook == hooks._excepthook
        for text in ("first", "second"):
            try:
                raise ValueError(text)
            except ValueError as exc:
                with caplog.at_level(logging.ERROR, logger="hvgui"):
                    sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        hooks.uninstall()
        other_loop.close()
    assert sys.excepthook is previous
    assert "first" in caplog.text and "second" in caplog.text
    assert "first" in error_dialog._open_dialog.informativeText()  # the second did not stack a new dialog


def test_screenshot_mode_only_logs(qtbot, window, caplog) -> None:
    hooks = hvgui_app._ExceptionHooks(window, interactive=False)
    with caplog.at_level(logging.ERROR, logger="hvgui"):
        try:
            raise KeyError("quiet")
        except KeyError as exc:
            hooks._excepthook(type(exc), exc, exc.__traceback__)
    assert "quiet" in caplog.text
    assert error_dialog._open_dialog is None
