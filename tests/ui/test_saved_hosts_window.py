"""Saved hosts in the window, against the emulator: grouped in the hosts pane, offered by File, connected with
the keyring's password, edited, duplicated, removed, imported and exported, and reopened at start."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtWidgets import QMessageBox
from qasync_loop import wait_until

from hvgui.domain.connection import HostState
from hvgui.domain.host_profiles import HostProfile
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.remoting.secret_store import SERVICE, host_secret_key
from hvgui.ui.controllers import HostsController
from hvgui.ui.host_book import HostBook
from hvgui.ui.main_window import MainWindow


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo", tls=True) as running:
        yield running


@pytest.fixture
def book_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "hosts.json"


def make_window(qtbot, book_path: Path) -> MainWindow:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    book = HostBook(book_path)
    book.load()
    window = MainWindow(controller, host_book=book)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def window(qtbot, loop, book_path) -> Iterator[MainWindow]:
    w = make_window(qtbot, book_path)
    yield w
    loop.run_until_complete(w.controller.aclose())


def profiles(emulator: RunningEmulator) -> list[HostProfile]:
    first, second = emulator.endpoints[:2]
    return [
        HostProfile(first.connection_settings(), groups=("Prod",)),
        HostProfile(second.connection_settings(), groups=("Lab", "Prod")),
    ]


def saved_file(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_saved_hosts_are_grouped_and_offered_by_file_connect(window, emulator) -> None:
    for profile in profiles(emulator):
        window.saved_hosts.book.put(profile)
    window.saved_hosts.refresh()
    view = window.saved_hosts.view
    first, second = emulator.endpoints[:2]
    assert view.groups() == ["Lab", "Prod"]
    assert view.hosts_in("Prod") == [first.connection_settings().key, second.connection_settings().key]
    assert view.hosts_in("Lab") == [second.connection_settings().key]
    window.saved_hosts._fill_saved_menu()
    labels = [a.text() for a in window.saved_hosts.saved_menu.actions() if not a.isSeparator()]
    assert first.host_name in labels and second.host_name in labels


def test_a_saved_host_connects_with_the_keyring_password_and_reopens_next_time(
    qtbot, loop, window, emulator, book_path, memory_keyring
) -> None:
    endpoint = emulator.endpoints[0]
    profile = profiles(emulator)[0]
    window.saved_hosts.book.put(profile)
    memory_keyring.entries[(SERVICE, host_secret_key(profile.settings))] = endpoint.password
    window.saved_hosts.connect(profile.key)

    async def connected() -> None:
        await wait_until(lambda: window.controller.has_host(profile.key), what="the saved host's session")
        await wait_until(lambda: window.controller.inventory(profile.key) is not None, what="its VMs")

    loop.run_until_complete(connected())
    assert saved_file(book_path)["hosts"][0]["connect_at_start"] is True
    assert endpoint.password not in book_path.read_text()

    # The next start opens it again, with the password from the keyring and no dialog.
    loop.run_until_complete(window.controller.aclose())
    again = make_window(qtbot, book_path)
    again.saved_hosts.open_last_session()
    loop.run_until_complete(wait_until(lambda: again.controller.has_host(profile.key), what="reopened host"))
    assert again.saved_hosts.dialog is None

    # Disconnecting is remembered: the host does not open at the next start.
    again.controller.remove_host(profile.key)
    loop.run_until_complete(wait_until(lambda: again.host_model.status(profile.key) is None, what="disconnect"))
    assert saved_file(book_path)["hosts"][0]["connect_at_start"] is False
    loop.run_until_complete(again.controller.aclose())


def test_without_a_stored_password_the_dialog_asks_and_remembers_it(
    qtbot, loop, window, emulator, book_path, memory_keyring
) -> None:
    endpoint = emulator.endpoints[0]
    profile = profiles(emulator)[0]
    window.saved_hosts.book.put(profile)
    window.saved_hosts.connect(profile.key)
    dialog = loop.run_until_complete(wait_until(lambda: window.saved_hosts.dialog, what="the connect dialog"))
    assert dialog.host_edit.text() == endpoint.address
    assert dialog.groups_edit.text() == "Prod"
    qtbot.keyClicks(dialog.password_edit, endpoint.password)
    assert dialog.remember_check.isChecked()
    dialog.ok_button.click()
    loop.run_until_complete(window.saved_hosts.settle())
    loop.run_until_complete(wait_until(lambda: window.controller.has_host(profile.key), what="the session"))
    assert memory_keyring.entries[(SERVICE, host_secret_key(profile.settings))] == endpoint.password
    assert endpoint.password not in book_path.read_text()


def test_connect_dialog_saves_a_new_host_with_its_groups(qtbot, loop, window, emulator, book_path) -> None:
    endpoint = emulator.endpoints[1]
    dialog = window.show_connect_dialog(endpoint.connection_settings())
    dialog.groups_edit.setText("Lab, Edge")
    qtbot.keyClicks(dialog.password_edit, endpoint.password)
    dialog.remember_check.setChecked(False)
    dialog.ok_button.click()
    loop.run_until_complete(window.saved_hosts.settle())
    (saved,) = saved_file(book_path)["hosts"]
    assert saved["groups"] == ["Lab", "Edge"]
    assert saved["connect_at_start"] is True
    assert keyring.get_password(SERVICE, host_secret_key(endpoint.connection_settings())) is None


def test_edit_duplicate_and_remove(qtbot, loop, window, emulator, book_path, memory_keyring) -> None:
    saved = window.saved_hosts
    profile = profiles(emulator)[0]
    saved.book.put(profile)
    memory_keyring.entries[(SERVICE, host_secret_key(profile.settings))] = "pw"

    dialog = saved.edit(profile.key)
    assert dialog.ok_button.text() == "Save"
    dialog.groups_edit.setText("Lab")
    dialog.display_edit.setText("Renamed")
    dialog.ok_button.click()
    assert saved.book.get(profile.key).groups == ("Lab",)
    assert saved_file(book_path)["hosts"][0]["name"] == "Renamed"

    copy = saved.duplicate(profile.key)
    assert copy.display_edit.text() == "Renamed (copy)"
    assert not copy.ok_button.isEnabled()  # the same address is already saved
    assert "already saved" in copy.message("host")
    copy.port_spin.setValue(profile.settings.port + 1)
    assert copy.ok_button.isEnabled()
    copy.ok_button.click()
    assert len(saved.book.profiles()) == 2

    box = saved.confirm_remove(profile.key)
    box.button(QMessageBox.StandardButton.Yes).click()
    loop.run_until_complete(saved.settle())
    assert [p.settings.display_name for p in saved.book.profiles()] == ["Renamed (copy)"]
    assert (SERVICE, host_secret_key(profile.settings)) not in memory_keyring.entries


def test_import_and_export_carry_no_secret(loop, window, emulator, tmp_path, memory_keyring) -> None:
    saved = window.saved_hosts
    for profile in profiles(emulator):
        saved.book.put(replace(profile, connect_at_start=True))
        memory_keyring.entries[(SERVICE, host_secret_key(profile.settings))] = "Secret-Password-1"
    exported = tmp_path / "export.json"
    assert saved.export_to(exported) == 2
    assert "Secret-Password-1" not in exported.read_text()
    other = HostBook(tmp_path / "other.json")
    window.saved_hosts.book = other
    assert saved.import_from(exported) == 2
    assert all(not p.connect_at_start for p in other.profiles())  # an import never connects by itself
    assert saved.import_from(exported) == 0
    (tmp_path / "bad.json").write_text("[]")
    assert saved.import_from(tmp_path / "bad.json") is None
    assert "Could not import" in window.statusBar().currentMessage()


def test_edit_credentials_of_a_saved_host_updates_the_user_and_the_keyring(
    qtbot, loop, window, emulator, memory_keyring
) -> None:
    saved = window.saved_hosts
    profile = profiles(emulator)[0]
    saved.book.put(profile)
    memory_keyring.entries[(SERVICE, host_secret_key(profile.settings))] = "old"
    saved.refresh()
    saved.view.setCurrentItem(saved.view.topLevelItem(0).child(0))
    saved.edit_credentials_action.trigger()
    dialog = saved.dialog
    dialog.username_edit.setText("other")
    qtbot.keyClicks(dialog.password_edit, "new-password")
    dialog.buttons.accepted.emit()
    loop.run_until_complete(saved.settle())
    updated = saved.book.get(profile.key)
    assert updated.settings.username == "other"
    assert memory_keyring.entries == {(SERVICE, host_secret_key(updated.settings)): "new-password"}


def test_without_a_keyring_the_window_says_so(qtbot, loop, window, emulator) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    window.saved_hosts.start(reopen=False)  # the window says so at start, before any password is needed
    loop.run_until_complete(window.saved_hosts.settle())
    assert window.saved_hosts.keyring_label.isVisible()
    profile = profiles(emulator)[0]
    window.saved_hosts.credentials_changed(profile.key, "admin", "pw", True)  # not saved, not connected: no-op
    window.saved_hosts.book.put(profile)
    window.saved_hosts.credentials_changed(profile.key, profile.settings.username, "pw", True)
    loop.run_until_complete(window.saved_hosts.settle())
    assert window.saved_hosts.keyring_label.isVisible()
    assert "session only" in window.statusBar().currentMessage()


def test_host_arguments_take_their_password_from_the_keyring(loop, window, emulator, memory_keyring) -> None:
    first, second = emulator.endpoints[:2]
    memory_keyring.entries[(SERVICE, host_secret_key(first.connection_settings()))] = first.password
    window.saved_hosts.connect_command_line([first.connection_settings(), second.connection_settings()])
    loop.run_until_complete(window.saved_hosts.settle())
    assert window.controller.host_keys() == [first.connection_settings().key]
    dialog = window._dialog
    assert dialog is not None and dialog.host_edit.text() == second.address  # the other one is asked for
    loop.run_until_complete(
        wait_until(lambda: window.controller.status(first.connection_settings().key).state is HostState.Connected)
    )


def test_test_connection_shows_the_host_and_saves_it(qtbot, loop, window, emulator, book_path, memory_keyring) -> None:
    endpoint = emulator.endpoints[0]
    dialog = window.show_connect_dialog(endpoint.connection_settings())
    qtbot.keyClicks(dialog.password_edit, "wrong")
    dialog.test_button.click()
    loop.run_until_complete(wait_until(lambda: "failed" in dialog.test_message(), what="the failure"))
    assert dialog.password_edit.text() == "wrong" and dialog.host_edit.text() == endpoint.address  # nothing lost
    assert not book_path.exists()

    dialog.password_edit.setText(endpoint.password)
    dialog.test_button.click()
    loop.run_until_complete(wait_until(lambda: "Connection works" in dialog.test_message(), what="the report"))
    message = dialog.test_message()
    vms = len(next(h for h in emulator.scenario.hosts if h.model.name == endpoint.host_name).model.vms)
    for words in (endpoint.host_name, "Windows Server 2022", f"Virtual machines: {vms}", "Basic", "TLS", " ms"):
        assert words in message
    assert "Saved." in message
    loop.run_until_complete(window.saved_hosts.settle())
    assert saved_file(book_path)["hosts"][0]["uri"].startswith("https://")
    assert memory_keyring.entries[(SERVICE, host_secret_key(endpoint.connection_settings()))] == endpoint.password
    dialog.reject()


def test_a_connected_host_can_be_saved_from_the_hosts_pane(qtbot, loop, window, emulator, memory_keyring) -> None:
    endpoint = emulator.endpoints[0]
    key = window.connect_host(endpoint.connection_settings(), endpoint.password)
    dialog = window.saved_hosts.save_connected(key)
    assert dialog.windowTitle() == "Save host" and dialog.ok_button.isEnabled()
    dialog.groups_edit.setText("Edge")
    qtbot.keyClicks(dialog.password_edit, endpoint.password)
    dialog.ok_button.click()
    loop.run_until_complete(window.saved_hosts.settle())
    assert window.saved_hosts.book.get(key).groups == ("Edge",)
    assert memory_keyring.entries[(SERVICE, host_secret_key(endpoint.connection_settings()))] == endpoint.password
    assert window.saved_hosts.save_connected(key).windowTitle() == "Edit saved host"  # saved now: edit it
