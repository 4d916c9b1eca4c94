"""The certificate of a host no authority vouches for: look at it, then trust it for this host or choose a CA.

Shown from a host's error banner when its HTTPS certificate is not trusted (`CertificateNotTrusted`) or
differs from the one trusted earlier (`CertificateChanged`, with the SSH-style warning in red). It shows
what a person can compare with the host itself: subject, issuer, validity and the SHA-256 fingerprint.
"Trust for this host" pins that fingerprint (only this certificate, only this listener); "Use a CA file…"
trusts an authority instead. The certificate is read on a worker thread (`fetch_certificate`), never on
the Qt thread; host-provided text goes through `ui.text` like any other untrusted string.
"""

from __future__ import annotations

import asyncio
import datetime
import enum
import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hvgui.domain.errors import CertificateChanged
from hvgui.remoting.cert_pins import CertificateInfo, fetch_certificate
from hvgui.ui.text import one_line

log = logging.getLogger(__name__)


class TrustChoice(enum.Enum):
    Pin = "pin"
    CaFile = "ca_file"
    Cancel = "cancel"


def validity_text(info: CertificateInfo, now: datetime.datetime | None = None) -> str:
    """`2026-01-01 – 2027-01-01 (valid)`, or with "expired" / "not yet valid"."""
    moment = now or datetime.datetime.now(datetime.UTC)
    span = f"{info.not_before:%Y-%m-%d %H:%M} \u2013 {info.not_after:%Y-%m-%d %H:%M} UTC"
    if moment < info.not_before:
        return f"{span} (not yet valid)"
    if moment > info.not_after:
        return f"{span} (EXPIRED)"
    return f"{span} (valid)"


class CertificateTrustDialog(QDialog):
    """Shows one certificate; `choice` says what the person decided once the dialog is done."""

    def __init__(
        self,
        host_label: str,
        endpoint: str,
        info: CertificateInfo,
        *,
        changed: CertificateChanged | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.info = info
        self.choice = TrustChoice.Cancel
        self.ca_file = ""
        self.setWindowTitle("Certificate changed" if changed else "Untrusted certificate")
        self.setMinimumWidth(560)

        intro = QLabel()
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        if changed is not None:
            intro.setText(
                f"WARNING: {one_line(host_label)} ({endpoint}) presents a different certificate from the one you "
                "trusted. Someone may be posing as the host (a man-in-the-middle attack), or the host got a new "
                "certificate. Trust the new one only after checking its fingerprint on the host itself."
            )
            intro.setStyleSheet("color: #c42b1c; font-weight: bold;")
        else:
            intro.setText(
                f"No authority this computer trusts vouches for the certificate of {one_line(host_label)} "
                f"({endpoint}). Compare its fingerprint with the one on the host (on the host: Get-ChildItem "
                "Cert:\\LocalMachine\\My) before you trust it."
            )

        form = QFormLayout()
        self.subject_label = self._value(one_line(info.subject))
        self.issuer_label = self._value(
            one_line(info.issuer) + ("  (self-signed)" if info.self_signed else ""),
        )
        self.validity_label = self._value(validity_text(info))
        self.fingerprint_label = self._value(info.fingerprint_text)
        self.fingerprint_label.setStyleSheet("font-family: monospace;")
        form.addRow("Subject:", self.subject_label)
        form.addRow("Issuer:", self.issuer_label)
        form.addRow("Valid:", self.validity_label)
        if info.subject_alt_names:
            form.addRow("Names:", self._value(one_line(", ".join(info.subject_alt_names))))
        form.addRow("SHA-256:", self.fingerprint_label)
        if changed is not None and changed.expected:
            from hvgui.remoting.cert_pins import format_fingerprint

            self.trusted_label = self._value(format_fingerprint(changed.expected))
            self.trusted_label.setStyleSheet("font-family: monospace;")
            form.addRow("Trusted before:", self.trusted_label)

        self.buttons = QDialogButtonBox()
        self.trust_button = QPushButton("Trust the new certificate for this host" if changed else "Trust for this host")
        self.ca_button = QPushButton("Use a CA file\u2026")
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.ca_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.trust_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel.setDefault(True)  # never trust on Enter
        self.trust_button.clicked.connect(self.trust)
        self.ca_button.clicked.connect(self._choose_ca_file)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    @staticmethod
    def _value(text: str) -> QLabel:
        label = QLabel(text)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def trust(self) -> None:
        self.choice = TrustChoice.Pin
        self.accept()

    def use_ca_file(self, path: str) -> None:
        self.choice = TrustChoice.CaFile
        self.ca_file = path
        self.accept()

    def _choose_ca_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "CA certificate", "", "Certificates (*.pem *.crt *.cer);;All files (*)"
        )
        if path:
            self.use_ca_file(path)


async def review_certificate(
    parent: QWidget, controller: Any, key: str, error: BaseException | None = None
) -> CertificateTrustDialog | None:
    """Read the host's certificate off the Qt thread and open the trust dialog (window-modal, not blocking).

    On "trust" the controller pins the fingerprint and reconnects; on a CA file it reconnects with that.
    `error` is the host's last error: a `CertificateChanged` makes the dialog say so, in red.
    Returns the dialog (tests drive it), or None when the certificate could not be read.
    """
    if not controller.has_host(key):
        return None
    settings = controller.settings(key)
    try:
        info = await asyncio.to_thread(fetch_certificate, settings.host, settings.port)
    except (OSError, ValueError) as exc:
        log.info("could not read the certificate of %s: %s", settings.key, exc)
        parent.window().statusBar().showMessage(f"Could not read the certificate of {settings.label}: {exc}", 8000)
        return None
    if not controller.has_host(key):
        return None
    changed = error if isinstance(error, CertificateChanged) else None
    dialog = CertificateTrustDialog(
        settings.label, f"{settings.host}:{settings.port}", info, changed=changed, parent=parent
    )
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def decided() -> None:
        if dialog.choice is TrustChoice.Pin:
            controller.trust_certificate(key, dialog.info)
        elif dialog.choice is TrustChoice.CaFile:
            controller.use_ca_file(key, dialog.ca_file)

    dialog.accepted.connect(decided)
    dialog.open()
    return dialog
