"""Connect to host…: every `ConnectionSettings` field plus the password, validated as the user types.

The rules are a pure function over the raw field values (`validate_form`), so they are tested without a
dialog; the dialog shows each message under its field and keeps OK disabled until nothing is wrong.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.connection import AuthMethod, ConnectionSettings, parse_host_uri, split_uri_password
from hvgui.domain.host_profiles import HostProfile, parse_groups
from hvgui.remoting.kerberos import kerberos_available, negotiate_note
from hvgui.ui.text import one_line
from hvgui.ui.theme import Tone, colour_text, text_colour

HTTPS_PORT = 5986
HTTP_PORT = 5985

AUTH_LABELS: dict[AuthMethod, str] = {
    AuthMethod.Negotiate: "Negotiate (Kerberos, then NTLM)",
    AuthMethod.Ntlm: "NTLM",
    AuthMethod.Kerberos: "Kerberos",
    AuthMethod.CredSsp: "CredSSP",
    AuthMethod.Basic: "Basic",
}

#: Methods that can log on with the current Kerberos ticket, so a user name is optional.
_TICKET_METHODS = {AuthMethod.Negotiate, AuthMethod.Kerberos}
_BAD_HOST_CHARS = set(" \t\r\n/\\@?#%\"'<>|*,;=")

TESTING_TEXT = "Testing the connection\u2026"

# Field names, shared by the rule function and the dialog's message labels.
HOST, PORT, USERNAME, PASSWORD, CA_FILE = "host", "port", "username", "password", "ca_file"


@dataclass(frozen=True)
class ConnectionForm:
    """The raw values of the dialog's fields."""

    host: str = ""
    port: int = HTTPS_PORT
    use_https: bool = True
    auth: AuthMethod = AuthMethod.Negotiate
    username: str = ""
    password: str = ""
    verify_certificate: bool = True
    ca_file: str = ""
    display_name: str = ""

    def to_settings(self) -> ConnectionSettings:
        ca_file = self.ca_file.strip()
        return ConnectionSettings(
            host=_strip_brackets(self.host.strip()),
            port=self.port,
            use_https=self.use_https,
            auth=self.auth,
            username=self.username.strip(),
            verify_certificate=self.verify_certificate if self.use_https else True,
            ca_file=ca_file if (self.use_https and self.verify_certificate and ca_file) else None,
            display_name=self.display_name.strip(),
        )


def _strip_brackets(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _buddy_label(text: str, buddy: QWidget) -> QLabel:
    """A form label whose mnemonic focuses `buddy` (rows holding a layout get no buddy by themselves)."""
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


#: What the host field says when its connection is in `existing_keys` (`{key}` is the connection key).
ALREADY_CONNECTED_TEXT = "This window is already connected to {key}."


def validate_form(
    form: ConnectionForm,
    existing_keys: Collection[str] = (),
    existing_text: str = ALREADY_CONNECTED_TEXT,
    *,
    password_required: bool = True,
) -> dict[str, str]:
    """Problems that stop the connection from being tried, by field name; empty when the form is usable."""
    problems: dict[str, str] = {}
    host = form.host.strip()
    if not host:
        problems[HOST] = "Enter the host name or IP address."
    elif "://" in host:
        problems[HOST] = "Enter only the host name; choose HTTPS and the port below."
    elif any(c in _BAD_HOST_CHARS for c in host):
        problems[HOST] = "A host name cannot contain spaces or any of / \\ @ ? # and similar characters."
    elif form.to_settings().key in existing_keys:
        problems[HOST] = existing_text.format(key=form.to_settings().key)
    if not 1 <= form.port <= 65535:
        problems[PORT] = "The port must be between 1 and 65535."
    username = form.username.strip()
    if not username and form.auth not in _TICKET_METHODS:
        problems[USERNAME] = f"{AUTH_LABELS[form.auth]} authentication needs a user name."
    if username and not form.password and password_required:
        problems[PASSWORD] = "Enter the password for this user."
    ca_file = form.ca_file.strip()
    if form.use_https and form.verify_certificate and ca_file and not os.path.isfile(ca_file):
        problems[CA_FILE] = "No such file. Choose the CA certificate (PEM) that signed the host's certificate."
    return problems


#: Shown when CredSSP is chosen: it is the one method that gives the host the password itself.
CREDSSP_WARNING = (
    "CredSSP hands your user name and password to the host, which can then sign in elsewhere as you. Use it "
    "only for a host you trust completely, and only when you need that (a second hop)."
)


def warnings_for(form: ConnectionForm, *, kerberos: bool | None = None) -> list[str]:
    """Choices that work but deserve a second look; they never disable OK.

    `kerberos` says whether Kerberos works on this computer (default: whether its library is installed).
    """
    if kerberos is None:
        kerberos = kerberos_available()
    notes = []
    if form.auth == AuthMethod.CredSsp:
        notes.append(CREDSSP_WARNING)
    if not kerberos and form.auth == AuthMethod.Negotiate:
        notes.append("Negotiate means NTLM on this computer (Kerberos support is not installed).")
    if not kerberos and form.auth == AuthMethod.Kerberos:
        notes.append("Kerberos is not installed on this computer: choose Negotiate (NTLM) or install it.")
    if form.use_https and not form.verify_certificate:
        notes.append("The host's certificate is not checked: anyone in between could read the password.")
    if not form.use_https and form.auth == AuthMethod.Basic:
        notes.append("Basic over HTTP sends the password unencrypted; the host must allow unencrypted traffic.")
    return notes


class ConnectDialog(QDialog):
    """Asks for one host's connection settings and password, and how to keep them.

    Besides the connection, the dialog asks whether to save the host (with its groups and whether it opens at
    start) and whether to remember the password in the keyring. "Test connection" asks the window to reach
    the host once (`testRequested`); the window answers with `show_test_report` or `show_test_error`, and the
    fields keep what was typed either way. With `editing=True` the dialog edits a saved host: its button
    says Save and nothing is connected.
    """

    #: The person pressed Test connection; the window probes the host and answers.
    testRequested = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        settings: ConnectionSettings | None = None,
        existing_keys: Collection[str] = (),
        profile: HostProfile | None = None,
        editing: bool = False,
        existing_text: str = ALREADY_CONNECTED_TEXT,
    ) -> None:
        super().__init__(parent)
        self.editing = editing
        self._existing_text = existing_text
        self.setWindowTitle("Edit saved host" if editing else "Connect to host")
        self.setMinimumWidth(480)
        self._existing_keys = set(existing_keys)
        self._touched: set[str] = set()
        self._pinned: str | None = None

        self.host_edit = QLineEdit()
        self.host_edit.setPlaceholderText("hv01.example.com")
        self.https_check = QCheckBox("Use HTTPS")
        self.https_check.setChecked(True)
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(HTTPS_PORT)
        self.auth_combo = QComboBox()
        for method in AuthMethod:
            self.auth_combo.addItem(AUTH_LABELS[method], method)
        self.username_edit = QLineEdit()
        self.username_edit.setPlaceholderText("DOMAIN\\user or user@domain")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.verify_check = QCheckBox("Verify the host's certificate")
        self.verify_check.setChecked(True)
        self.ca_edit = QLineEdit()
        self.ca_edit.setPlaceholderText("System trust store")
        self.browse_button = QPushButton("Browse\u2026")
        self.display_edit = QLineEdit()
        self.display_edit.setPlaceholderText("Same as the host name")
        self.groups_edit = QLineEdit()
        self.groups_edit.setObjectName("hostGroups")
        self.groups_edit.setPlaceholderText("Prod, Lab")
        self.save_check = QCheckBox("&Save this host")
        self.save_check.setObjectName("saveHost")
        self.save_check.setChecked(True)
        self.start_check = QCheckBox("Open it when hvgui &starts")
        self.start_check.setObjectName("connectAtStart")
        self.start_check.setChecked(True)
        self.remember_check = QCheckBox("&Remember the password in the keyring")
        self.remember_check.setObjectName("rememberPassword")
        self.remember_check.setChecked(True)
        self.test_button = QPushButton("&Test connection")
        self.test_button.setObjectName("testConnection")
        self.test_button.setAutoDefault(False)
        self.test_button.clicked.connect(self._test_clicked)
        self.test_result = QLabel()
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)
        self.test_result.setTextFormat(Qt.TextFormat.PlainText)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_result.hide()

        self._messages: dict[str, QLabel] = {
            name: self._message_label() for name in (HOST, PORT, USERNAME, PASSWORD, CA_FILE)
        }
        self.warning_label = QLabel()
        self.warning_label.setWordWrap(True)
        colour_text(self.warning_label, Tone.Warning)
        self.warning_label.setTextFormat(Qt.TextFormat.PlainText)

        self._form = QFormLayout()
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form.addRow("&Host:", self.host_edit)
        self._add_message_row(HOST)
        port_row = QHBoxLayout()
        port_row.addWidget(self.port_spin)
        port_row.addSpacing(12)
        port_row.addWidget(self.https_check)
        port_row.addStretch(1)
        self._form.addRow(_buddy_label("&Port:", self.port_spin), port_row)
        self._add_message_row(PORT)
        self._form.addRow("&Authentication:", self.auth_combo)
        self._form.addRow("&User name:", self.username_edit)
        self._add_message_row(USERNAME)
        self._form.addRow("Pass&word:", self.password_edit)
        self._add_message_row(PASSWORD)
        self._form.addRow("", self.verify_check)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_edit, 1)
        ca_row.addWidget(self.browse_button)
        self._form.addRow(_buddy_label("&CA file:", self.ca_edit), ca_row)
        self._add_message_row(CA_FILE)
        self._form.addRow("&Display name:", self.display_edit)
        self._form.addRow("&Groups:", self.groups_edit)
        keep_row = QHBoxLayout()
        keep_row.addWidget(self.save_check)
        keep_row.addWidget(self.start_check)
        keep_row.addStretch(1)
        self._form.addRow("", keep_row)
        self._form.addRow("", self.remember_check)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Save" if editing else "Connect")
        self.buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        if editing:
            self.save_check.hide()
            self.password_edit.setPlaceholderText("Unchanged (as kept in the keyring)")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(self._form)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.test_result)
        layout.addWidget(self.buttons)

        if profile is not None:
            self.set_profile(profile)
        elif settings is not None:
            self.set_settings(settings)
        self._host_text = self.host_edit.text()

        self.host_edit.textEdited.connect(lambda _: self._touch(HOST))
        self.host_edit.textChanged.connect(self._host_changed)
        self.save_check.toggled.connect(self._update)
        self.host_edit.editingFinished.connect(self._split_pasted_uri)
        self.username_edit.textEdited.connect(lambda _: self._touch(USERNAME))
        self.password_edit.textEdited.connect(lambda _: self._touch(PASSWORD))
        self.ca_edit.textEdited.connect(lambda _: self._touch(CA_FILE))
        self.https_check.toggled.connect(self._https_toggled)
        self.verify_check.toggled.connect(self._update)
        self.port_spin.valueChanged.connect(self._update)
        self.auth_combo.currentIndexChanged.connect(lambda _: self._touch(USERNAME))
        self.auth_combo.setToolTip(negotiate_note())
        self.display_edit.textChanged.connect(self._update)
        self.browse_button.clicked.connect(self._browse_ca_file)
        self._update()

    # ---- values --------------------------------------------------------------------------------

    def form(self) -> ConnectionForm:
        return ConnectionForm(
            host=self.host_edit.text(),
            port=self.port_spin.value(),
            use_https=self.https_check.isChecked(),
            auth=self.auth_combo.currentData(),
            username=self.username_edit.text(),
            password=self.password_edit.text(),
            verify_certificate=self.verify_check.isChecked(),
            ca_file=self.ca_edit.text(),
            display_name=self.display_edit.text(),
        )

    def settings(self) -> ConnectionSettings:
        return self.form().to_settings()

    def password(self) -> str:
        return self.password_edit.text()

    def profile(self) -> HostProfile:
        """The host as it would be saved (never with its password)."""
        return HostProfile(
            self.settings(),
            groups=parse_groups(self.groups_edit.text()),
            connect_at_start=self.start_check.isChecked(),
            pinned_sha256=self._pinned,
        )

    def save_requested(self) -> bool:
        return self.editing or self.save_check.isChecked()

    def remember_password(self) -> bool:
        return self.remember_check.isEnabled() and self.remember_check.isChecked() and bool(self.password())

    def set_profile(self, profile: HostProfile) -> None:
        self._pinned = profile.pinned_sha256
        self.groups_edit.setText(", ".join(profile.groups))
        self.start_check.setChecked(profile.connect_at_start)
        self.set_settings(profile.settings)

    # ---- Test connection -----------------------------------------------------------------------

    def set_testing(self, testing: bool) -> None:
        self.test_button.setEnabled(not testing)
        if testing:
            self._show_result(TESTING_TEXT, error=False)

    def show_test_report(self, lines: list[tuple[str, str]], saved: bool) -> None:
        """What the host said about itself, one "Name: value" per line (host text shown as plain text)."""
        self.set_testing(False)
        text = "\n".join(f"{name}: {one_line(value)}" for name, value in lines)
        self._show_result("Connection works.\n" + text + ("\nSaved." if saved else ""), error=False)

    def show_test_error(self, message: str) -> None:
        self.set_testing(False)
        self._show_result("The connection failed: " + message, error=True)

    def test_message(self) -> str:
        return self.test_result.text() if self.test_result.isVisible() else ""

    def _show_result(self, text: str, *, error: bool) -> None:
        self.test_result.setStyleSheet(f"color: {text_colour(Tone.Error)};" if error else "")
        self.test_result.setText(text)
        self.test_result.show()

    def _test_clicked(self) -> None:
        if not validate_form(self.form(), password_required=not self.editing):  # Connect's rules, bar "already …"
            self.testRequested.emit()

    def problems(self) -> dict[str, str]:
        return validate_form(self.form(), self._existing_keys, self._existing_text, password_required=not self.editing)

    def message(self, field: str) -> str:
        """The message shown under a field ("" when hidden)."""
        label = self._messages[field]
        return label.text()

    def set_settings(self, settings: ConnectionSettings) -> None:
        self.host_edit.setText(settings.host)
        self.https_check.setChecked(settings.use_https)
        self.port_spin.setValue(settings.port)
        self.auth_combo.setCurrentIndex(self.auth_combo.findData(settings.auth))
        self.username_edit.setText(settings.username)
        self.verify_check.setChecked(settings.verify_certificate)
        self.ca_edit.setText(settings.ca_file or "")
        self.display_edit.setText(settings.display_name)
        if settings.host:
            self._touched.add(HOST)
        if settings.username:
            self._touched.add(USERNAME)
            self._touched.add(PASSWORD)
            self.password_edit.setFocus()
        self._update()

    # ---- behaviour -----------------------------------------------------------------------------

    def _message_label(self) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        colour_text(label, Tone.Error)
        return label

    def _add_message_row(self, field: str) -> None:
        self._form.addRow("", self._messages[field])
        self._form.setRowVisible(self._messages[field], False)

    def _touch(self, field: str) -> None:
        self._touched.add(field)
        self._update()

    def _https_toggled(self, https: bool) -> None:
        # Follow the scheme's default port unless the user chose another one.
        if https and self.port_spin.value() == HTTP_PORT:
            self.port_spin.setValue(HTTPS_PORT)
        elif not https and self.port_spin.value() == HTTPS_PORT:
            self.port_spin.setValue(HTTP_PORT)
        self._update()

    def _host_changed(self, text: str) -> None:
        """A paste (the text grew by more than one character at once) holding a URI is spread at once."""
        pasted = len(text) - len(self._host_text) > 1
        self._host_text = text
        if pasted and ("://" in text or "@" in text):
            self._split_pasted_uri()

    def _split_pasted_uri(self) -> None:
        """Accept a pasted `https://user[:password]@host:port/wsman` in the host field by spreading it over the
        fields: scheme to HTTPS, host, port, user (and a password, which goes to the password field only)."""
        text = self.host_edit.text().strip()
        if "://" not in text and "@" not in text:
            return
        without_password, password = split_uri_password(text)
        try:
            parsed = parse_host_uri(without_password, auth=self.auth_combo.currentData())
        except ValueError:
            if password is not None:  # never leave a password in plain sight
                self.host_edit.setText(without_password)
                self.password_edit.setText(password)
            return  # leave it; the message under the field says what is wrong
        self.host_edit.setText(parsed.host)
        self.https_check.setChecked(parsed.use_https)
        self.port_spin.setValue(parsed.port)
        if parsed.username:
            self.username_edit.setText(parsed.username)
            self._touched.add(USERNAME)
        if password is not None:
            self.password_edit.setText(password)
        self._update()

    def _browse_ca_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "CA certificate", self.ca_edit.text(), "Certificates (*.pem *.crt *.cer);;All files (*)"
        )
        if path:
            self.ca_edit.setText(path)
            self._touch(CA_FILE)

    def _update(self) -> None:
        form = self.form()
        https = form.use_https
        self.verify_check.setEnabled(https)
        self.ca_edit.setEnabled(https and form.verify_certificate)
        self.browse_button.setEnabled(https and form.verify_certificate)
        problems = self.problems()
        for field, label in self._messages.items():
            text = problems.get(field, "")
            # A missing value is pointed out once the user has been in the field; a wrong one at once.
            visible = bool(text) and (field in self._touched or self._has_value(field))
            if field == PASSWORD and text and self._has_value(USERNAME):
                visible = True  # a user name was given: its password is what is missing now
            label.setText(text if visible else "")
            self._form.setRowVisible(label, visible)
        notes = warnings_for(form)
        self.warning_label.setText("\n".join(notes))
        self.warning_label.setVisible(bool(notes))
        self.ok_button.setEnabled(not problems)
        testable = not validate_form(form, password_required=not self.editing)
        self.test_button.setEnabled(testable and self.test_result.text() != TESTING_TEXT)
        self.start_check.setEnabled(self.save_requested())
        self.remember_check.setEnabled(self.save_requested() or self.editing)

    def _has_value(self, field: str) -> bool:
        widget = {
            HOST: self.host_edit,
            USERNAME: self.username_edit,
            PASSWORD: self.password_edit,
            CA_FILE: self.ca_edit,
        }
        edit = widget.get(field)
        return edit is not None and bool(edit.text().strip())
