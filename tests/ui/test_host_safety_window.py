"""The window for hosts that refuse the password or stop answering, against the emulator over loopback.

A refused password shows "wrong user name or password" with "Edit credentials…", which reconnects with
what the person enters; a host whose refresh is overdue shows how old its data is and mutes its VM rows.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import pytest
from qasync_loop import wait_until

from hvgui.domain.connection import HostState, HostStatus
from hvgui.domain.errors import AccessDenied, AuthenticationFailed
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import Backoff, SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.credentials_dialog import CredentialsDialog
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.host_list import DetailRole, HostListModel, StaleRole, detail_text, rows_stale


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo") as running:
        yield running


@pytest.fixture
def window(qtbot, loop, emulator) -> Iterator[MainWindow]:
    manager = SessionManager(
        refresh_interval=0.2, connect_timeout=5, operation_timeout=20, backoff=lambda: Backoff(initial=0.05)
    )
    controller = HostsController(manager)
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(controller.aclose())


def test_a_refused_password_offers_edit_credentials_which_reconnects(qtbot, loop, emulator, window) -> None:
    endpoint = emulator.endpoints[0]
    service = emulator.server(endpoint.host_name).service
    key = endpoint.connection_settings().key
    settings = dataclasses.replace(endpoint.connection_settings(), username="typo")

    async def refused() -> None:
        window.connect_host(settings, "wrong")
        await wait_until(lambda: window.hosts_pane.banner(key) is not None, what="the banner")

    loop.run_until_complete(refused())
    banner = window.hosts_pane.banner(key)
    assert "wrong user name or password" in banner.title.text()
    assert banner.credentials_button.isVisibleTo(banner)
    assert "Not retried automatically" in banner.countdown.text()
    row = window.host_model.index(window.host_model.row_of(key), 0)
    assert row.data(DetailRole) == "Not connected \u00b7 Wrong user name or password"
    assert service.rejected_logins == 1

    banner.credentials_button.click()
    dialogs = window.findChildren(CredentialsDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    dialog = dialogs[0]
    assert dialog.username_edit.text() == "typo"
    dialog.username_edit.setText(endpoint.username)
    qtbot.keyClicks(dialog.password_edit, endpoint.password)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    async def reconnected() -> None:
        await wait_until(
            lambda: (
                window.controller.status(key).state is HostState.Connected
                and window.hosts_pane.banner(key) is None
                and window.vm_model.rowCount() > 0
            ),
            what="the host connected with the new credentials",
        )

    loop.run_until_complete(reconnected())
    assert window.controller.settings(key).username == endpoint.username
    assert service.rejected_logins == 1


def test_a_host_that_stops_answering_shows_the_age_of_its_data(loop, emulator, window) -> None:
    endpoint = emulator.endpoints[0]
    service = emulator.server(endpoint.host_name).service
    key = endpoint.connection_settings().key

    async def connected() -> None:
        window.connect_host(endpoint.connection_settings(), endpoint.password)
        await wait_until(lambda: window.vm_model.rowCount() > 0, what="the host's VMs")

    loop.run_until_complete(connected())
    host = key  # VM rows are filed under the session key
    assert not window.vm_model.is_stale(host)
    service.pause_receives(6.0)

    async def stale() -> None:
        await wait_until(lambda: window.vm_model.is_stale(host), what="the VM rows marked stale")

    loop.run_until_complete(stale())
    row = window.host_model.index(window.host_model.row_of(key), 0)
    assert row.data(StaleRole) is True
    assert row.data(DetailRole).startswith("Not responding \u00b7 data ") and row.data(DetailRole).endswith(" s old")
    assert window.controller.session(key).is_stale
    assert "is not answering (data " in (window.controller.staleness_warning(key) or "")

    async def fresh() -> None:
        await wait_until(lambda: not window.vm_model.is_stale(host), what="the VM rows current again")

    loop.run_until_complete(fresh())
    assert row.data(DetailRole).startswith("Connected \u00b7 ")
    assert window.controller.staleness_warning(key) is None


def test_detail_text_for_stale_refused_and_incomplete_hosts() -> None:
    now = time.time()
    base = HostStatus("http://hv01:5985", "hv01", HostState.Connected, vm_count=3, last_refresh_at=now - 12)
    assert detail_text(base, now) == "Connected \u00b7 3 VMs"
    assert not rows_stale(base)
    stale = dataclasses.replace(base, stale=True)
    assert detail_text(stale, now) == "Not responding \u00b7 data 12 s old"
    assert rows_stale(stale)
    incomplete = dataclasses.replace(base, unreadable=1)
    assert detail_text(incomplete, now) == "Connected \u00b7 3 VMs \u00b7 1 unreadable (list incomplete)"
    refused = dataclasses.replace(base, state=HostState.Failed, error=AuthenticationFailed("no"), stale=True)
    assert detail_text(refused, now) == "Not connected \u00b7 Wrong user name or password"
    denied = dataclasses.replace(refused, error=AccessDenied("no"))
    assert detail_text(denied, now) == "Not connected \u00b7 Access denied for this account"
    model = HostListModel()
    model.apply_status(stale)
    assert model.index(0, 0).data(StaleRole) is True
