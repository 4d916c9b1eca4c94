"""Edit credentials…: a new user name and password for a host, for example one that refused the old ones.

The host's address, port and authentication stay as they are (the connect dialog sets those); this
dialog only asks for the account. After a refused password it says why it asks: hvgui does not retry a
refused password by itself, because in a domain every retry counts towards locking the account.
"Remember in the keyring" keeps the password in the OS keyring for the next start.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)


class CredentialsDialog(QDialog):
    """Asks for one host's user name and password; OK is enabled once both are filled in."""

    def __init__(
        self,
        label: str,
        username: str,
        parent: QWidget | None = None,
        *,
        intro: str | None = None,
        accept_text: str = "Connect",
        refused: bool = True,
        remember: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Credentials for {label}")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        if intro is not None:
            text = intro
        elif refused:
            text = (
                f"{label} refused the user name or password. hvgui does not try them again by itself, so that "
                "the account is not locked. Enter the credentials to connect with."
            )
        else:
            text = f"Enter the user name and password hvgui uses for {label}."
        intro_label = QLabel(text)
        intro_label.setTextFormat(Qt.TextFormat.PlainText)
        intro_label.setWordWrap(True)
        self.username_edit = QLineEdit(username)
        self.username_edit.setObjectName("username")
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("&User name:", self.username_edit)
        form.addRow("Pass&word:", self.password_edit)
        self.remember_check = QCheckBox("&Remember in the keyring")
        self.remember_check.setObjectName("rememberCredentials")
        self.remember_check.setChecked(remember)
        form.addRow("", self.remember_check)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(accept_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro_label)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.username_edit.textChanged.connect(self._update)
        self.password_edit.textChanged.connect(self._update)
        (self.password_edit if username else self.username_edit).setFocus()
        self._update()

    def username(self) -> str:
        return self.username_edit.text().strip()

    def password(self) -> str:
        return self.password_edit.text()

    def remember(self) -> bool:
        return self.remember_check.isChecked()

    def _update(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.username() and self.password()))
