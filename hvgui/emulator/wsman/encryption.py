"""MS-WSMV message encryption: the `multipart/encrypted` bodies of WinRM over plain HTTP (MS-WSMV 2.2.9.1).

After a Negotiate/NTLM logon over HTTP, a client seals every SOAP envelope with the session key of that
logon and a host answers in kind. Each body is two MIME parts between `--Encrypted Boundary` lines: the
first says which protocol sealed it and the length of the original envelope, the second holds a
little-endian 4-byte signature length, the signature, and the sealed bytes. This mirrors what pypsrp's
client writes (`pypsrp/encryption.py`) and what a Windows host sends back.
"""

from __future__ import annotations

import re
import struct
from typing import Any

SPNEGO_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
BOUNDARY = "Encrypted Boundary"
ENCRYPTED_CONTENT_TYPE = f'multipart/encrypted;protocol="{SPNEGO_PROTOCOL}";boundary="{BOUNDARY}"'
_LENGTH = re.compile(rb"Length=(\d+)")
_PROTOCOL = re.compile(r'protocol="?([^";]+)"?', re.IGNORECASE)


class EncryptionError(ValueError):
    """A sealed body that cannot be opened: malformed, for another protocol, or tampered with."""


def is_encrypted(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() in ("multipart/encrypted", "multipart/x-multi-encrypted")


def unwrap_request(context: Any, body: bytes, content_type: str) -> bytes:
    """The SOAP envelope inside a sealed request body; raises EncryptionError if it does not open."""
    protocol = _PROTOCOL.search(content_type)
    if protocol is None or protocol.group(1).lower() != SPNEGO_PROTOCOL.lower():
        raise EncryptionError(f"unsupported encryption protocol in {content_type!r}")
    marker = f"--{BOUNDARY}\r\n".encode()
    end = f"--{BOUNDARY}--\r\n".encode()
    if not body.endswith(end):
        raise EncryptionError("the sealed body has no closing boundary")
    parts = [part for part in body[: -len(end)].split(marker) if part]
    if not parts or len(parts) % 2:
        raise EncryptionError("the sealed body does not have header and data parts")
    message = b""
    for index in range(0, len(parts), 2):
        header, payload = parts[index], parts[index + 1]
        length = _LENGTH.search(header)
        prefix = b"\tContent-Type: application/octet-stream\r\n"
        if length is None or not payload.startswith(prefix) or len(payload) < len(prefix) + 4:
            raise EncryptionError("a part of the sealed body is malformed")
        sealed = payload[len(prefix) :]
        (signature_length,) = struct.unpack("<i", sealed[:4])
        if not 0 < signature_length <= len(sealed) - 4:
            raise EncryptionError("bad signature length in the sealed body")
        signature = sealed[4 : 4 + signature_length]
        try:
            plain = context.unwrap_winrm(signature, sealed[4 + signature_length :])
        except Exception as exc:  # pyspnego raises BadMICError (a SpnegoError) for a tampered message
            raise EncryptionError(f"the sealed body does not verify: {exc}") from exc
        if len(plain) != int(length.group(1)):
            raise EncryptionError("the sealed body's length does not match its header")
        message += plain
    return message


def wrap_response(context: Any, message: bytes) -> bytes:
    """Seal a SOAP envelope for the client (send it with `ENCRYPTED_CONTENT_TYPE`)."""
    signature, sealed, padding = context.wrap_winrm(message)
    header = (
        f"--{BOUNDARY}\r\n"
        f"\tContent-Type: {SPNEGO_PROTOCOL}\r\n"
        f"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={len(message) + padding}\r\n"
        f"--{BOUNDARY}\r\n"
        "\tContent-Type: application/octet-stream\r\n"
    ).encode()
    return header + struct.pack("<i", len(signature)) + signature + sealed + f"--{BOUNDARY}--\r\n".encode()
