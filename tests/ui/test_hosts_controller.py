"""HostsController with the real SessionManager: signals out, intents in, tasks cancelled on close.

These need no host: a loopback port where nothing listens is a host that is down.
"""

from __future__ import annotations

import socket

import pytest
from qasync_loop import wait_until

from hvgui.domain.connection import AuthMethod, ConnectionSettings, HostState, HostStatus
from hvgui.domain.errors import HostUnreachable
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostAlreadyAdded, HostsController


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def down_host() -> ConnectionSettings:
    return ConnectionSettings(
        host="127.0.0.1", port=closed_port(), use_https=False, auth=AuthMethod.Basic, username="u"
    )


@pytest.fixture
def controller(loop) -> HostsController:
    c = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=5))
    yield c
    loop.run_until_complete(c.aclose())


def test_a_down_host_is_reported_through_signals(loop, controller) -> None:
    statuses: list[HostStatus] = []
    controller.hostStatusChanged.connect(statuses.append)
    settings = down_host()

    async def scenario() -> None:
        key = controller.add_host(settings, "pw")
        assert key == settings.key
        assert controller.has_host(key)
        await wait_until(lambda: any(s.state == HostState.Failed for s in statuses), what="Failed status")

    loop.run_until_complete(scenario())
    assert statuses[0].state == HostState.Connecting
    failed = next(s for s in statuses if s.state == HostState.Failed)
    assert isinstance(failed.error, HostUnreachable)
    assert str(settings.port) in str(failed.error)
    assert failed.next_retry_at is not None
    assert controller.inventory(settings.key) is None


def test_retry_tries_again_at_once(loop, controller) -> None:
    statuses: list[HostStatus] = []
    controller.hostStatusChanged.connect(statuses.append)
    settings = down_host()

    async def scenario() -> None:
        controller.add_host(settings, "pw")
        await wait_until(lambda: any(s.state == HostState.Failed for s in statuses))
        failures = sum(1 for s in statuses if s.state == HostState.Failed)
        controller.retry(settings.key)
        await wait_until(lambda: sum(1 for s in statuses if s.state == HostState.Failed) > failures)

    loop.run_until_complete(scenario())
    # Failed -> Connecting (the retry) -> Failed again, with the error kept while reconnecting.
    reconnecting = [s for s in statuses if s.state == HostState.Connecting and s.error is not None]
    assert reconnecting


def test_the_same_host_cannot_be_added_twice(loop, controller) -> None:
    settings = down_host()

    async def scenario() -> None:
        controller.add_host(settings, "pw")
        with pytest.raises(HostAlreadyAdded):
            controller.add_host(settings, "pw")

    loop.run_until_complete(scenario())


def test_remove_host_emits_host_removed(loop, controller) -> None:
    settings = down_host()
    removed: list[str] = []
    controller.hostRemoved.connect(removed.append)

    async def scenario() -> None:
        controller.add_host(settings, "pw")
        controller.remove_host(settings.key)
        await wait_until(lambda: removed, what="hostRemoved")

    loop.run_until_complete(scenario())
    assert removed == [settings.key]
    assert not controller.has_host(settings.key)


def test_close_cancels_pending_work_and_silences_signals(loop) -> None:
    controller = HostsController(SessionManager())
    statuses: list[HostStatus] = []
    removed: list[str] = []
    controller.hostStatusChanged.connect(statuses.append)
    controller.hostRemoved.connect(removed.append)
    settings = down_host()

    async def scenario() -> None:
        controller.add_host(settings, "pw")
        controller.remove_host(settings.key)  # a task now in flight
        assert controller._tasks
        await controller.aclose()

    loop.run_until_complete(scenario())
    assert controller.is_closed
    assert not controller._tasks
    assert removed == []  # cancelled before it could report
    assert controller.host_keys() == []
    count = len(statuses)
    controller.host_status_changed(HostStatus(settings.key, "x", HostState.Connected))
    assert len(statuses) == count
    with pytest.raises(RuntimeError, match="closed"):
        controller.add_host(down_host(), "pw")


def test_connect_dialog_ok_starts_a_session_shown_in_the_window(qtbot, loop, controller) -> None:
    from hvgui.ui.main_window import MainWindow

    window = MainWindow(controller)
    qtbot.addWidget(window)
    window.show()
    port = closed_port()

    async def scenario() -> None:
        window.connect_action.trigger()
        dialog = window._dialog
        assert dialog is not None and dialog.isVisible()
        qtbot.keyClicks(dialog.host_edit, "127.0.0.1")
        dialog.https_check.setChecked(False)
        dialog.port_spin.setValue(port)
        dialog.auth_combo.setCurrentIndex(dialog.auth_combo.findData(AuthMethod.Basic))
        qtbot.keyClicks(dialog.username_edit, "admin")
        qtbot.keyClicks(dialog.password_edit, "secret")
        qtbot.keyClicks(dialog.display_edit, "Lab host")
        assert dialog.ok_button.isEnabled()
        dialog.ok_button.click()
        key = f"http://127.0.0.1:{port}"
        await wait_until(lambda: window.hosts_pane.banner(key) is not None, what="the banner of the down host")

    loop.run_until_complete(scenario())
    status = window.host_model.statuses()[0]
    assert status.label == "Lab host"
    assert controller.settings(status.key).username == "admin"
    assert isinstance(status.error, HostUnreachable)
    assert str(port) in window.hosts_pane.banner(status.key).message.text()
