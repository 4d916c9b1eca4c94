"""Composition root: the QApplication, the qasync loop, the exception hooks and the wiring.

This is the only module that imports qasync (the rest is plain asyncio, so swapping the loop for
`PySide6.QtAsyncio` touches one file) and the only one that knows about the emulator (demo mode starts it
as a child process and connects to it like to any other host).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hvgui.__main__ import Options
    from hvgui.emulator.process import EmulatorProcess
    from hvgui.ui.controllers import HostsController
    from hvgui.ui.main_window import MainWindow

log = logging.getLogger("hvgui")

#: Exit statuses besides 0 (success) and 2 (bad command line, from argparse).
EXIT_FAILURE = 1
EXIT_SCREENSHOT_TIMEOUT = 3

SCREENSHOT_SIZE = (1400, 850)

#: Seconds a thread may keep the interpreter (the GIL) while another waits for it; Python's default is
#: 5 ms. Each host's worker thread decodes and compares its inventory (thousands of VMs) while the Qt
#: thread paints: handing the interpreter over more often keeps the window's pauses short, for a little
#: throughput.
SWITCH_INTERVAL = 0.001


def prefer_the_qt_thread() -> None:
    """Let the Qt thread get the interpreter back quickly from busy worker threads (`SWITCH_INTERVAL`)."""
    sys.setswitchinterval(SWITCH_INTERVAL)


class StartupError(Exception):
    """Something the run needs could not be set up (e.g. the demo emulator did not start)."""


def run(options: Options, *, password: str | None = None) -> int:
    """Run the window until it closes (or until the screenshot is saved); returns the exit status."""
    if options.screenshot is not None and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no display
    _configure_logging(options.verbose)
    prefer_the_qt_thread()

    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from hvgui.remoting import OperationsConfig, RefreshConfig, SessionManager
    from hvgui.remoting.cert_pins import PinStore
    from hvgui.remoting.secret_store import SecretStore
    from hvgui.ui.collector import SettledCollector
    from hvgui.ui.controllers import HostsController
    from hvgui.ui.history import install_history, open_history_store
    from hvgui.ui.host_book import HostBook
    from hvgui.ui.main_window import MainWindow
    from hvgui.ui.preferences import Preferences
    from hvgui.ui.resources import app_icon
    from hvgui.ui.window_state import WindowState

    _route_qt_messages()
    app = QApplication.instance() or QApplication(["hvgui", *options.qt_args])
    app.setApplicationName("hvgui")
    app.setApplicationDisplayName("hvgui")
    app.setOrganizationName("hvgui")
    app.setDesktopFileName("hvgui")
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)  # the main coroutine ends the run, after closing the hosts

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    preferences = Preferences()
    refresh = RefreshConfig(
        push=preferences.live_updates,
        poll_interval=preferences.poll_interval,
        safety_interval=preferences.safety_interval,
    )
    manager = SessionManager(operations=OperationsConfig(deadlines=preferences.deadlines), refresh=refresh)
    controller = HostsController(manager, pins=PinStore())
    # The demo's emulated hosts never mix with the admin's saved hosts and keyring: the demo keeps its list
    # and its passwords in memory, and neither reads nor writes the admin's.
    book = HostBook(None) if options.demo else HostBook.default()
    secrets = SecretStore(use_keyring=not options.demo)
    window = MainWindow(controller, preferences=preferences, host_book=book, secrets=secrets)
    install_history(window, open_history_store(preferences, demo=options.demo))  # closes with the controller
    collector = SettledCollector(controller, window)  # noqa: F841 (lives with the window)
    hooks = _ExceptionHooks(window, interactive=options.screenshot is None)
    hooks.install(loop)

    # Python handles signals only when the interpreter runs; a slow no-op timer lets Ctrl+C get through.
    wake = QTimer()
    wake.start(250)
    wake.timeout.connect(lambda: None)
    with contextlib.suppress(ValueError):  # not in the main thread (embedded): no signal handling
        signal.signal(signal.SIGINT, lambda *_: loop.call_soon_threadsafe(window.close))
        signal.signal(signal.SIGTERM, lambda *_: loop.call_soon_threadsafe(window.close))

    if options.screenshot is not None:
        window.resize(*SCREENSHOT_SIZE)
    elif (screen := app.primaryScreen()) is not None:
        available = screen.availableGeometry()  # the default size, but never larger than the screen
        window.resize(
            min(window.width(), int(available.width() * 0.95)), min(window.height(), int(available.height() * 0.9))
        )
        window.restore_window_state(WindowState(preferences.settings))
    window.show()
    try:
        return loop.run_until_complete(_main(options, password, window, controller))
    except StartupError as exc:
        print(f"hvgui: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        wake.stop()
        hooks.uninstall()
        window.hide()
        loop.close()
        asyncio.set_event_loop(None)


async def _main(options: Options, password: str | None, window: MainWindow, controller: HostsController) -> int:
    """Connect what the command line asked for, then wait for the window to close (or take the screenshot)."""
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    emulator: EmulatorProcess | None = None
    try:
        if options.demo:
            emulator = await _start_demo(window)
            if emulator is None:
                raise StartupError("the demo emulator did not start (see the log above)")
        if options.hosts:
            if password is not None:
                for settings in options.hosts:
                    window.connect_host(settings, password)
            else:  # the keyring's password where it holds one, else a dialog asks
                window.saved_hosts.connect_command_line(options.hosts)
        window.saved_hosts.start(reopen=not options.demo and options.screenshot is None)
        if options.screenshot is not None:
            return await _take_screenshot(window, controller, options)
        await closed.wait()
        return 0
    finally:
        window.hide()
        await controller.aclose()
        if emulator is not None:
            await asyncio.to_thread(emulator.stop)


async def _start_demo(window: MainWindow) -> EmulatorProcess | None:
    """Start the emulator (demo scenario, loopback, random port and credentials) and connect to its hosts.

    The hosts are what a real host is out of the box: WinRM over HTTP with Negotiate (NTLM here), every
    message sealed with the session key of the logon."""
    from hvgui.emulator.process import EmulatorProcess

    window.statusBar().showMessage("Starting the demo hosts\u2026")
    try:
        # The demo's hosts cost what real hosts cost: slow bulk reads, blocking shutdowns with progress.
        emulator = await asyncio.to_thread(EmulatorProcess.start, "demo", tls=False, cost_profile="realistic")
    except Exception:
        log.exception("the demo emulator failed to start")
        window.statusBar().showMessage("The demo hosts could not be started; see the log.", 0)
        return None
    window.statusBar().clearMessage()
    for endpoint in emulator.endpoints:
        settings = dataclasses.replace(endpoint.connection_settings(), display_name=endpoint.host_name)
        window.connect_host(settings, endpoint.password)
    return emulator


async def _take_screenshot(window: MainWindow, controller: HostsController, options: Options) -> int:
    """Wait until every host has sent its VMs, select one so the panel has content, save the window as PNG."""
    path, timeout = options.screenshot, options.screenshot_timeout
    assert path is not None
    deadline = time.monotonic() + timeout
    while True:
        missing = [key for key in controller.host_keys() if controller.inventory(key) is None]
        if not missing:
            break
        if time.monotonic() >= deadline:
            print(_screenshot_timeout_reason(controller, missing, timeout), file=sys.stderr)
            return EXIT_SCREENSHOT_TIMEOUT
        await asyncio.sleep(0.1)
    if options.screenshot_vm is not None:
        wanted = next((vm for vm in window.vm_model.vms() if vm.name == options.screenshot_vm), None)
        if wanted is None:
            print(f"hvgui: no screenshot: no VM is named {options.screenshot_vm!r}", file=sys.stderr)
            return EXIT_FAILURE
        window.select_vm(wanted.key)
    else:
        window.select_showcase_vm()
    window.vm_panel.show_tab(options.screenshot_tab)
    await asyncio.sleep(0.3)  # let layouts, delegates and the panel settle
    if options.screenshot_tab == "checkpoints":  # its list comes from the host on demand
        tab = window.vm_panel.checkpoints
        await _wait_for(lambda: tab.count_label.text() not in ("", "loading\u2026"), deadline)
    path.parent.mkdir(parents=True, exist_ok=True)
    window.flush_status_bar()
    if not window.grab().save(str(path), "PNG"):
        print(f"hvgui: could not write the screenshot to {path}", file=sys.stderr)
        return EXIT_FAILURE
    log.info("screenshot saved to %s", path)
    return 0


async def _wait_for(predicate: Callable[[], bool], deadline: float) -> None:
    """Let the loop run until `predicate()` holds or the deadline passes (the screenshot is taken either way)."""
    while not predicate() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def _screenshot_timeout_reason(controller: HostsController, missing: list[str], timeout: float) -> str:
    lines = [f"hvgui: no screenshot: the VMs of {len(missing)} host(s) did not arrive within {timeout:g} s"]
    for key in missing:
        status = controller.status(key)
        reason = f"{status.state.value}: {status.error}" if status.error is not None else status.state.value
        lines.append(f"  {status.label} ({key}): {reason}")
    return "\n".join(lines)


class _ExceptionHooks:
    """Errors nobody handled (in Qt slots, callbacks or tasks) are logged and shown, never silently lost."""

    def __init__(self, window: MainWindow, *, interactive: bool) -> None:
        self._window = window
        self._interactive = interactive
        self._previous_hook = sys.excepthook

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        sys.excepthook = self._excepthook
        loop.set_exception_handler(self._loop_handler)

    def uninstall(self) -> None:
        sys.excepthook = self._previous_hook

    def _excepthook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._window.close()
            return
        log.error("unhandled error", exc_info=(exc_type, exc, tb))
        self._show(f"{exc_type.__name__}: {exc}", "".join(traceback.format_exception(exc_type, exc, tb)))

    def _loop_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        message = context.get("message", "error in the event loop")
        if exc is None:
            log.error("%s", message)
            self._show(message, repr(context))
            return
        log.error("%s", message, exc_info=exc)
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self._show(f"{message}\n{type(exc).__name__}: {exc}", details)

    def _show(self, summary: str, details: str) -> None:
        if not self._interactive:
            return
        from hvgui.ui.error_dialog import show_unexpected_error

        try:
            show_unexpected_error(self._window, summary, details)
        except Exception:  # never let the last line of defence raise
            log.exception("could not show the error dialog")


#: Qt messages that say nothing useful to a person (the offscreen platform used for screenshots).
_QT_NOISE = ("This plugin does not support propagateSizeHints()",)


def _route_qt_messages() -> None:
    """Send Qt's own warnings through logging, so they obey -v like everything else."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("hvgui.qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(msg_type: QtMsgType, _context: object, message: str) -> None:
        level = logging.DEBUG if message in _QT_NOISE else levels.get(msg_type, logging.WARNING)
        qt_log.log(level, "%s", message)

    qInstallMessageHandler(handler)


def _configure_logging(verbose: int) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
