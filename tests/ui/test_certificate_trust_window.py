"""Trusting a host's certificate from the window: an untrusted certificate is shown and pinned, a changed one
is refused with the known_hosts-style warning. Real emulated HTTPS listeners, each with its own certificate."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from qasync_loop import wait_until

from hvgui.domain.connection import HostState
from hvgui.domain.errors import CertificateChanged, CertificateNotTrusted
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.remoting.cert_pins import PinStore, fetch_certificate
from hvgui.ui.certificate_dialog import CertificateTrustDialog
from hvgui.ui.controllers import HostsController
from hvgui.ui.main_window import MainWindow


@pytest.fixture
def pins(tmp_path: Path) -> PinStore:
    return PinStore(tmp_path / "cert-pins.json")


@pytest.fixture
def emulators() -> Iterator[tuple[RunningEmulator, RunningEmulator]]:
    with start_emulator("demo", tls=True) as first, start_emulator("demo", tls=True) as second:
        yield first, second


@pytest.fixture
def window(qtbot, loop, pins: PinStore) -> Iterator[MainWindow]:
    controller = HostsController(
        SessionManager(refresh_interval=0.3, connect_timeout=5, operation_timeout=10), pins=pins
    )
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(controller.aclose())


def _failing_with(window: MainWindow, key: str, kind: type) -> bool:
    status = window.host_model.status(key)
    return status is not None and isinstance(status.error, kind)


def test_an_untrusted_certificate_is_shown_and_trusted_for_the_host(loop, window, emulators, pins) -> None:
    endpoint = emulators[0].endpoints[0]
    settings = dataclasses.replace(endpoint.connection_settings(), ca_file=None)  # no CA: nothing vouches
    key = window.connect_host(settings, endpoint.password)
    assert key is not None
    loop.run_until_complete(wait_until(lambda: _failing_with(window, key, CertificateNotTrusted), what="untrusted"))
    banner = window.hosts_pane.banner(key)
    assert banner is not None and banner.certificate_button.isVisibleTo(banner)

    dialog = loop.run_until_complete(window.show_certificate_dialog(key))
    assert isinstance(dialog, CertificateTrustDialog)
    presented = fetch_certificate(endpoint.address, endpoint.port)
    assert dialog.fingerprint_label.text() == presented.fingerprint_text
    assert "hvgui emulator CA" in dialog.issuer_label.text()
    assert "(valid)" in dialog.validity_label.text()
    assert dialog.windowTitle() == "Untrusted certificate"
    dialog.trust_button.click()

    loop.run_until_complete(
        wait_until(lambda: window.controller.inventory(key) is not None, what="the pinned host's inventory")
    )
    assert pins.get(key) == presented.sha256
    assert window.controller.settings(key).pinned_sha256 == presented.sha256
    assert window.host_model.status(key).state is HostState.Connected


def test_a_changed_certificate_is_refused_with_a_warning(loop, window, emulators, pins) -> None:
    first, second = emulators
    trusted = fetch_certificate(first.endpoints[0].address, first.endpoints[0].port)
    impostor = second.endpoints[0]
    settings = dataclasses.replace(impostor.connection_settings(), ca_file=None)
    pins.pin(settings.key, trusted)  # trusted earlier; now another certificate answers on that listener
    key = window.connect_host(settings, impostor.password)
    assert key is not None
    loop.run_until_complete(wait_until(lambda: _failing_with(window, key, CertificateChanged), what="changed"))
    assert window.host_model.status(key).state is not HostState.Connected
    banner = window.hosts_pane.banner(key)
    assert banner is not None and "has changed since you trusted it" in banner.message.text()
    assert banner.certificate_button.isVisibleTo(banner)
    assert second.server(impostor.host_name).service.rejected_logins == 0  # no password was offered

    dialog = loop.run_until_complete(window.show_certificate_dialog(key))
    assert dialog is not None and dialog.windowTitle() == "Certificate changed"
    assert dialog.trusted_label.text() == trusted.fingerprint_text
    assert dialog.fingerprint_label.text() != trusted.fingerprint_text
    dialog.reject()
    assert pins.get(key) == trusted.sha256  # cancelling keeps the old pin: the new certificate stays refused


def test_a_ca_file_chosen_in_the_dialog_replaces_the_pin(loop, window, emulators, pins) -> None:
    endpoint = emulators[0].endpoints[0]
    settings = dataclasses.replace(endpoint.connection_settings(), ca_file=None)
    key = window.connect_host(settings, endpoint.password)
    assert key is not None
    loop.run_until_complete(wait_until(lambda: _failing_with(window, key, CertificateNotTrusted), what="untrusted"))
    dialog = loop.run_until_complete(window.show_certificate_dialog(key))
    assert dialog is not None
    dialog.use_ca_file(endpoint.ca_file)  # what "Use a CA file…" does once a file is chosen
    loop.run_until_complete(wait_until(lambda: window.controller.inventory(key) is not None, what="inventory"))
    assert window.controller.settings(key).ca_file == endpoint.ca_file
    assert window.controller.settings(key).pinned_sha256 is None and pins.get(key) is None
