"""Saved hosts in the window: connect, edit, duplicate, remove, import and export them; open the hosts of the
last session at start; keep their passwords in the OS keyring.

`SavedHosts` is the window's one owner of the `HostBook` (the `hosts.json` list) and of the `SecretStore`
(the keyring). It adds "Saved hosts" to the hosts pane (grouped), "Connect to saved host", "Import hosts…",
"Export hosts…" and "Edit credentials…" to the File menu, and a warning to the status bar when there is no
keyring. Every keyring call and every connection probe is a task it owns (cancelled on close); widgets only
emit intents.

"Connect at start" follows the admin: a saved host that is connected is opened again at the next start, and
one that is disconnected is not, so hvgui opens the hosts of the last session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMenu, QMessageBox

from hvgui.domain.connection import ConnectionSettings
from hvgui.domain.errors import HvGuiError
from hvgui.domain.host_profiles import HostProfile, ProfileDocumentError, duplicate_name
from hvgui.remoting.cert_pins import format_fingerprint
from hvgui.remoting.probe import test_connection
from hvgui.remoting.secret_store import SecretStore, host_secret_key
from hvgui.ui.connect_dialog import ConnectDialog
from hvgui.ui.credentials_dialog import CredentialsDialog
from hvgui.ui.host_book import HostBook, read_document
from hvgui.ui.saved_hosts_view import KEY_ROLE, SavedHostsView
from hvgui.ui.text import one_line
from hvgui.ui.theme import Tone, colour_text

if TYPE_CHECKING:
    from hvgui.ui.main_window import MainWindow

log = logging.getLogger(__name__)

_HOSTS_FILTER = "hvgui hosts (*.json);;All files (*)"


class SavedHosts(QObject):
    """The saved hosts and their secrets, wired into one main window."""

    def __init__(self, window: MainWindow, book: HostBook, secrets: SecretStore) -> None:
        super().__init__(window)
        self.window = window
        self.book = book
        self.secrets = secrets
        self._tasks: set[asyncio.Task[Any]] = set()
        self._shown_connected: frozenset[str] = frozenset()
        #: The dialog a saved-hosts intent opened last (tests drive it).
        self.dialog: ConnectDialog | CredentialsDialog | None = None

        self.view = SavedHostsView()
        self.heading = window.hosts_pane.add_section("Saved hosts", self.view)
        self.view.connectRequested.connect(self.connect)
        self.view.editRequested.connect(self.edit)
        self.view.editCredentialsRequested.connect(self.edit_credentials)
        self.view.duplicateRequested.connect(self.duplicate)
        self.view.removeRequested.connect(self.confirm_remove)

        self.keyring_label = QLabel("\u26a0 No keyring: passwords are kept for this session only")
        self.keyring_label.setObjectName("noKeyringLabel")
        colour_text(self.keyring_label, Tone.Warning)
        self.keyring_label.hide()
        window.statusBar().addPermanentWidget(self.keyring_label)
        secrets.on_unavailable = self._keyring_unavailable

        window.hosts_pane.saveRequested.connect(self.save_connected)
        window.controller.hostStatusChanged.connect(lambda _status: self._refresh_if_connections_changed())
        window.controller.hostRemoved.connect(self._host_removed)
        window.controller.add_close_hook(self.aclose)
        self.refresh()
        if book.load_problem:
            window.statusBar().showMessage(book.load_problem, 30000)

    # ---- menu ----------------------------------------------------------------------------------

    def populate_file_menu(self, menu: QMenu, before: QAction) -> None:
        """Add the saved-hosts commands to the File menu, above `before` (Quit)."""
        self.saved_menu = QMenu("Connect to &saved host", menu)
        self.saved_menu.setObjectName("savedHostsMenu")
        self.saved_menu.aboutToShow.connect(self._fill_saved_menu)
        self._fill_saved_menu()
        self.edit_credentials_action = QAction("Edit &credentials\u2026", self)
        self.edit_credentials_action.setShortcut(QKeySequence("Ctrl+Shift+L"))  # L for log-in
        self.edit_credentials_action.setToolTip("A new user name and password for the selected host")
        self.edit_credentials_action.triggered.connect(self.edit_selected_credentials)
        self.import_action = QAction("&Import hosts\u2026", self)
        self.import_action.triggered.connect(self.choose_import)
        self.export_action = QAction("&Export hosts\u2026", self)
        self.export_action.setToolTip("Write the saved hosts to a file (never with passwords)")
        self.export_action.triggered.connect(self.choose_export)
        menu.insertMenu(before, self.saved_menu)
        for action in (self.edit_credentials_action, self.import_action, self.export_action):
            menu.insertAction(before, action)
        menu.insertSeparator(before)

    def _fill_saved_menu(self) -> None:
        self.saved_menu.clear()
        profiles = self.book.profiles()
        if not profiles:
            self.saved_menu.addAction("No saved hosts").setEnabled(False)
            return
        connected = set(self.window.controller.host_keys())
        groups = self.book.groups()
        for group in [*groups, ""]:
            members = [p for p in profiles if (group in p.groups) or (not group and not p.groups)]
            if not members:
                continue
            if groups:
                self.saved_menu.addSection(one_line(group) if group else "Other hosts")
            for profile in members:
                action = self.saved_menu.addAction(one_line(profile.label))
                action.setToolTip(profile.key)
                action.setEnabled(profile.key not in connected)
                action.triggered.connect(lambda _checked=False, key=profile.key: self.connect(key))

    # ---- connecting ----------------------------------------------------------------------------

    def connect(self, key: str) -> None:
        """Connect a saved host with the password the keyring holds for it (asking when it holds none)."""
        profile = self.book.get(key)
        if profile is None or self.window.controller.has_host(key):
            return
        self._spawn(self._connect(profile), f"connect saved {key}")

    async def _connect(self, profile: HostProfile) -> None:
        password = await self.stored_password(profile.settings)
        if password is None and profile.settings.username:
            self.dialog = self.window.show_connect_dialog(profile=profile)
            return
        if self.window.connect_host(connection_settings(profile), password or "") is not None:
            self.book.set_connect_at_start(profile.key, True)
            self.refresh()

    def start(self, *, reopen: bool) -> None:
        """At start: see whether the keyring works (the status bar says so if not) and, when `reopen`, connect
        the hosts of the last session."""
        if self.secrets.use_keyring:
            self._spawn(self.secrets.check(), "check the keyring")
        if reopen:
            self.open_last_session()

    def open_last_session(self) -> None:
        """Connect every saved host that was open when hvgui last closed."""
        for profile in self.book.profiles():
            if profile.connect_at_start:
                self.connect(profile.key)

    def connect_command_line(self, hosts: Iterable[ConnectionSettings]) -> None:
        """`--host` without `--password-stdin`: the keyring's password where it has one, else ask."""
        self._spawn(self._connect_command_line(list(hosts)), "connect --host")

    async def _connect_command_line(self, hosts: list[ConnectionSettings]) -> None:
        missing = []
        for settings in hosts:
            password = await self.stored_password(settings) if settings.username else None
            if password is None:
                missing.append(settings)
            else:
                self.window.connect_host(settings, password)
        if missing:
            self.window.ask_to_connect(missing)

    async def stored_password(self, settings: ConnectionSettings) -> str | None:
        return await self.secrets.get(host_secret_key(settings))

    def connected_from_dialog(self, dialog: ConnectDialog, key: str | None) -> None:
        """The connect dialog's OK: save the host if asked, and its password if asked."""
        profile = dialog.profile()
        if dialog.save_requested():
            existing = self.book.get(profile.key)
            if existing is not None and existing.pinned_sha256 and not profile.pinned_sha256:
                profile = replace(profile, pinned_sha256=existing.pinned_sha256)
            self.book.put(profile)
            if key is None:
                self.book.set_connect_at_start(profile.key, False)
            self.refresh()
        if dialog.remember_password():
            self._remember(profile.settings, dialog.password())

    # ---- Test connection -----------------------------------------------------------------------

    def attach(self, dialog: ConnectDialog) -> None:
        """Serve a connect dialog's Test connection button."""
        dialog.testRequested.connect(lambda: self.test(dialog))

    def test(self, dialog: ConnectDialog) -> asyncio.Task[Any]:
        dialog.set_testing(True)
        task = self._spawn(self._test(dialog, dialog.settings(), dialog.password()), "test connection")
        dialog.finished.connect(lambda _result: task.cancel())
        return task

    async def _test(self, dialog: ConnectDialog, settings: ConnectionSettings, password: str) -> None:
        if not password and settings.username:  # editing a saved host: the password it already has
            password = await self.stored_password(settings) or ""
        try:
            report = await test_connection(settings, password)
        except HvGuiError as exc:
            dialog.show_test_error(exc.message + (f" {exc.hint}" if exc.hint else ""))
            return
        except Exception as exc:  # the dialog keeps what was typed; the message says what happened
            log.exception("test connection to %s failed", settings.key)
            dialog.show_test_error(f"{type(exc).__name__}: {exc}")
            return
        saved = dialog.save_requested()
        if saved:
            self.book.put(dialog.profile())
            if dialog.remember_password():
                self._remember(settings, password)
            self.refresh()
        dialog.show_test_report(report.lines(), saved)

    # ---- editing -------------------------------------------------------------------------------

    def edit(self, key: str) -> ConnectDialog | None:
        profile = self.book.get(key)
        if profile is None:
            return None
        return self._open_editor(profile, replacing=key, title="Edit saved host")

    def save_connected(self, key: str) -> ConnectDialog | None:
        """Save a connected host (one given with `--host`, say), or edit its entry when it is saved already."""
        if key in self.book:
            return self.edit(key)
        if not self.window.controller.has_host(key):
            return None
        settings = self.window.controller.settings(key)
        pinned = format_fingerprint(settings.pinned_sha256) if settings.pinned_sha256 else None
        profile = HostProfile(settings, connect_at_start=True, pinned_sha256=pinned)
        return self._open_editor(profile, replacing=None, title="Save host")

    def duplicate(self, key: str) -> ConnectDialog | None:
        """A copy to adjust (another address or port: two saved hosts never share one)."""
        profile = self.book.get(key)
        if profile is None:
            return None
        name = duplicate_name(profile, (p.label for p in self.book.profiles()))
        copy = replace(profile, settings=replace(profile.settings, display_name=name), connect_at_start=False)
        return self._open_editor(copy, replacing=None, title="Duplicate saved host")

    def _open_editor(self, profile: HostProfile, *, replacing: str | None, title: str) -> ConnectDialog:
        taken = {k.key for k in self.book.profiles()} - ({replacing} if replacing else set())
        dialog = ConnectDialog(
            self.window, profile=profile, editing=True, existing_keys=taken, existing_text="{key} is already saved."
        )
        dialog.setWindowTitle(title)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.attach(dialog)
        dialog.accepted.connect(lambda: self._edited(dialog, replacing))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _edited(self, dialog: ConnectDialog, replacing: str | None) -> None:
        profile = dialog.profile()
        self.book.put(profile, replacing=replacing)
        if dialog.remember_password():
            self._remember(profile.settings, dialog.password())
        self.refresh()

    def confirm_remove(self, key: str) -> QMessageBox | None:
        profile = self.book.get(key)
        if profile is None:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove saved host",
            f"Remove {one_line(profile.label)} from the saved hosts and its password from the keyring?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.window,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.accepted.connect(lambda: self.remove(key))
        box.open()
        return box

    def remove(self, key: str) -> None:
        profile = self.book.remove(key)
        if profile is not None:
            self._spawn(self.secrets.delete(host_secret_key(profile.settings)), f"forget {key}")
        self.refresh()

    # ---- credentials ---------------------------------------------------------------------------

    def edit_selected_credentials(self) -> None:
        """File > Edit credentials…: the host selected in the hosts list, else the saved host selected."""
        key = self.window.hosts_pane.selected_key()
        if key is None:
            item = self.view.currentItem()
            key = item.data(0, KEY_ROLE) if item is not None else None
        if key:
            self.edit_credentials(key)
        else:
            self.window.statusBar().showMessage("Select a host first.", 5000)

    def edit_credentials(self, key: str) -> CredentialsDialog | None:
        if self.window.controller.has_host(key):
            self.dialog = self.window.show_credentials_dialog(key)
            return self.dialog
        profile = self.book.get(key)
        if profile is None:
            return None
        dialog = CredentialsDialog(profile.label, profile.settings.username, self.window, refused=False)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.credentials_changed(key, dialog.username(), dialog.password(), dialog.remember())
        )
        self.dialog = dialog
        dialog.open()
        return dialog

    def credentials_changed(self, key: str, username: str, password: str, remember: bool) -> None:
        """New credentials for a host (connected or saved): the saved user name follows, and the keyring."""
        profile = self.book.get(key)
        if profile is not None and profile.settings.username != username:
            old = profile.settings
            self.book.put(replace(profile, settings=replace(old, username=username)))
            self._spawn(self.secrets.delete(host_secret_key(old)), f"forget {key}")
            self.refresh()
        if self.window.controller.has_host(key):
            settings = self.window.controller.settings(key)
            settings = replace(settings, username=username)
        elif profile is not None:
            settings = replace(profile.settings, username=username)
        else:
            return
        if remember:
            self._remember(settings, password)
        else:
            self._spawn(self.secrets.delete(host_secret_key(settings)), f"forget {key}")

    def _remember(self, settings: ConnectionSettings, password: str) -> None:
        self._spawn(self.secrets.set(host_secret_key(settings), password), f"remember {settings.key}")

    def _keyring_unavailable(self, text: str) -> None:
        self.keyring_label.setToolTip(text)
        self.keyring_label.show()
        self.window.statusBar().showMessage(text, 20000)

    # ---- import and export ---------------------------------------------------------------------

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import hosts", "", _HOSTS_FILTER)
        if path:
            self.import_from(Path(path))

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export hosts", "hvgui-hosts.json", _HOSTS_FILTER)
        if path:
            self.export_to(Path(path))

    def import_from(self, path: Path) -> int | None:
        """Add the hosts of an exported list (hosts already saved stay as they are); None if unreadable."""
        try:
            profiles = read_document(path)
        except (OSError, ProfileDocumentError) as exc:
            self.window.statusBar().showMessage(f"Could not import {path.name}: {exc}", 15000)
            return None
        profiles = [replace(p, connect_at_start=False) for p in profiles]
        added = self.book.merge(profiles)
        self.refresh()
        self.window.statusBar().showMessage(
            f"Imported {added} host(s) from {path.name}; {len(profiles) - added} already saved.", 10000
        )
        return added

    def export_to(self, path: Path) -> int | None:
        try:
            count = self.book.export(path)
        except OSError as exc:
            self.window.statusBar().showMessage(f"Could not export to {path}: {exc}", 15000)
            return None
        self.window.statusBar().showMessage(f"Exported {count} host(s) to {path.name} (no passwords).", 10000)
        return count

    # ---- keeping the view current --------------------------------------------------------------

    def refresh(self) -> None:
        connected = frozenset(self.window.controller.host_keys()) if not self.window.controller.is_closed else ()
        self._shown_connected = frozenset(connected)
        profiles = self.book.profiles()
        self.view.set_profiles(profiles, connected)
        self.heading.setVisible(bool(profiles))  # no saved hosts (the demo): the section takes no room
        self.view.setVisible(bool(profiles))

    def _refresh_if_connections_changed(self) -> None:
        if self.window.controller.is_closed:
            return
        if frozenset(self.window.controller.host_keys()) != self._shown_connected:
            self.refresh()

    def _host_removed(self, key: str) -> None:
        """The admin disconnected a host: it no longer opens at start."""
        self.book.set_connect_at_start(key, False)
        self.refresh()

    # ---- tasks ---------------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run a keyring call (or other short task) owned by the window: awaited on close, logged on failure."""
        return self._spawn(coro, name)

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_event_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s failed", task.get_name(), exc_info=task.exception())

    async def settle(self) -> None:
        """Wait for the keyring writes and connections under way (tests; closing)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Let keyring writes finish (a password the admin asked to keep is kept), stop probes, close the store."""
        for task in list(self._tasks):
            if task.get_name() == "test connection":
                task.cancel()
        await self.settle()
        self.secrets.close()


def connection_settings(profile: HostProfile) -> ConnectionSettings:
    """The settings to connect a saved host with: its pinned certificate, when it has one, is the check."""
    if profile.pinned_sha256 and not profile.settings.pinned_sha256:
        return replace(profile.settings, pinned_sha256=profile.pinned_sha256.replace(":", "").lower())
    return profile.settings
