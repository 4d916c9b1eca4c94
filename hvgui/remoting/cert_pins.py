"""Certificates the admin trusted host by host, like SSH's known_hosts, and what a host's certificate says.

A lab or workgroup host often serves WinRM over HTTPS with a self-signed certificate that no authority
vouches for. Rather than turning checking off, the admin looks at the certificate once (subject, issuer,
validity, SHA-256 fingerprint), compares the fingerprint with the one on the host, and trusts it *for that
host*: its fingerprint is pinned, and from then on hvgui connects only while the host presents exactly
that certificate (`transport.open_wsman` checks it on pypsrp's own TLS connection). A changed certificate
is refused with a warning, never accepted silently.

The pins live in one small JSON file in the platform's config directory (`cert-pins.json`, versioned),
keyed by `https://host:port` (ConnectionSettings.key). It is separate from any saved-hosts list on
purpose: a pin belongs to a listener, whoever connects to it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "cert-pins.json"
FORMAT_VERSION = 1


def default_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("hvgui", appauthor=False) / FILE_NAME


@dataclass(frozen=True)
class CertificateInfo:
    """What the admin needs to decide whether to trust a certificate."""

    subject: str
    issuer: str
    not_before: datetime.datetime
    not_after: datetime.datetime
    sha256: str  # lower-case hex, no separators
    subject_alt_names: tuple[str, ...] = ()

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    def expired(self, now: datetime.datetime | None = None) -> bool:
        moment = now or datetime.datetime.now(datetime.UTC)
        return not self.not_before <= moment <= self.not_after

    @property
    def fingerprint_text(self) -> str:
        """`AB:CD:…`, as certificate viewers show it."""
        return format_fingerprint(self.sha256)


def format_fingerprint(sha256: str) -> str:
    clean = sha256.replace(":", "").upper()
    return ":".join(clean[i : i + 2] for i in range(0, len(clean), 2))


def certificate_info(der: bytes) -> CertificateInfo:
    """Parse a DER certificate."""
    from cryptography import x509

    certificate = x509.load_der_x509_certificate(der)
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = tuple(
            [f"DNS:{name}" for name in extension.value.get_values_for_type(x509.DNSName)]
            + [f"IP:{address}" for address in extension.value.get_values_for_type(x509.IPAddress)]
        )
    except x509.ExtensionNotFound:
        names = ()
    return CertificateInfo(
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        sha256=hashlib.sha256(der).hexdigest(),
        subject_alt_names=names,
    )


def fetch_certificate(host: str, port: int, *, timeout: float = 10.0) -> CertificateInfo:
    """The certificate a listener presents, read without trusting it (blocking: call it off the UI thread).

    Only the TLS handshake happens: no request, and no credential, is sent.
    """
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if not der:
        raise ssl.SSLError(f"{host}:{port} presented no certificate")
    return certificate_info(der)


class PinStore:
    """Pinned certificate fingerprints by listener key, in one JSON file. Thread-safe; writes are atomic."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        """The pinned SHA-256 (hex) for a listener (`https://host:port`), or None."""
        with self._lock:
            entry = self._load().get(key.lower())
        return entry["sha256"] if entry else None

    def pin(self, key: str, info: CertificateInfo) -> None:
        """Trust `info`'s certificate for this listener from now on (replacing an earlier pin)."""
        with self._lock:
            pins = self._load()
            pins[key.lower()] = {
                "sha256": info.sha256,
                "subject": info.subject,
                "not_after": info.not_after.isoformat(),
                "pinned_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            }
            self._save(pins)

    def forget(self, key: str) -> None:
        with self._lock:
            pins = self._load()
            if pins.pop(key.lower(), None) is not None:
                self._save(pins)

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # unreadable: treated as no pins, so nothing is trusted by mistake
        if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
            return {}
        pins = document.get("pins")
        if not isinstance(pins, dict):
            return {}
        return {
            str(key): dict(value)
            for key, value in pins.items()
            if isinstance(value, dict) and isinstance(value.get("sha256"), str)
        }

    def _save(self, pins: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"version": FORMAT_VERSION, "pins": dict(sorted(pins.items()))}
        handle, temporary = tempfile.mkstemp(prefix=".cert-pins-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream, indent=2)
                stream.write("\n")
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
