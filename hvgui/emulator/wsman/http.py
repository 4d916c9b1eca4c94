"""HTTP/1.1 for WS-Management: one handler per client connection, keep-alive, and the host's authentication.

The handler reads each request completely before answering (so the connection stays usable after any
error), answers non-SOAP garbage with a plain HTTP status, and hands SOAP bodies to the service. It never
lets an exception escape a request: a client sees a fault or a status, not a dropped socket.

Authentication is the listener's `Authenticator` (Basic, NTLM, Negotiate). A Negotiate logon belongs to the
connection, as with HTTP.sys: the handler instance lives as long as the connection and keeps its
`ConnectionAuth`. Over plain HTTP, a Negotiate-authenticated connection exchanges sealed bodies
(`multipart/encrypted`) and answers in kind.
"""

from __future__ import annotations

import logging
import ssl
from http.server import BaseHTTPRequestHandler
from typing import NoReturn, Protocol

from hvgui.emulator.wsman.auth import Authenticator, ConnectionAuth
from hvgui.emulator.wsman.encryption import (
    ENCRYPTED_CONTENT_TYPE,
    EncryptionError,
    is_encrypted,
    unwrap_request,
    wrap_response,
)
from hvgui.emulator.wsman.service import Caller, WSManService

log = logging.getLogger(__name__)

WSMAN_PATH = "/wsman"
SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"
#: Bodies up to this size are read (and refused with a fault if above MaxEnvelopeSizekb); larger ones are
#: refused with 413 unread and the connection closed.
MAX_READ_BODY = 8 * 1024 * 1024
#: How long an idle keep-alive connection stays open (HTTP.sys' default idle connection timeout).
IDLE_TIMEOUT_SECONDS = 120.0


class ListenerContext(Protocol):
    """What a connection handler needs from its listener."""

    service: WSManService
    authenticator: Authenticator


class _BodyRefused(Exception):
    """The body could not be read; a status has been sent and the connection must close."""


class WSManRequestHandler(BaseHTTPRequestHandler):
    """Serves the requests of one connection until the client closes it or it idles out."""

    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # garbage request lines still get a status line, not an HTTP/0.9 body
    server_version = "Microsoft-HTTPAPI/2.0"
    disable_nagle_algorithm = True  # headers and body are separate writes; Nagle would add ~40 ms each
    timeout = IDLE_TIMEOUT_SECONDS
    server: ListenerContext  # type: ignore[assignment]

    def version_string(self) -> str:
        return self.server_version  # exactly what a Windows host sends, without Python's version

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.client_address[0], format % args)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True
        except OSError:
            self.close_connection = True
        except Exception:
            log.exception("unexpected error on a WS-Management connection")
            self.close_connection = True

    # -- methods ----------------------------------------------------------------------------------------
    def do_POST(self) -> None:
        try:
            body = self._read_body()
        except _BodyRefused:
            return
        if self.path.split("?", 1)[0].rstrip("/").lower() != WSMAN_PATH:
            self._send_plain(404, "Not Found")
            return
        state = self._auth_state()
        tls = isinstance(self.connection, ssl.SSLSocket)
        outcome = self.server.authenticator.check(self.headers.get("Authorization"), state)
        if outcome.status is not None:
            if outcome.rejected:
                self.server.service.record_rejected_login()
            self._send_challenge(outcome.status, outcome.challenge)
            return
        extra = {"WWW-Authenticate": outcome.final_token} if outcome.final_token else None
        content_type = self.headers.get("Content-Type") or ""
        sealed = state.authenticated and state.sealed and is_encrypted(content_type)
        if sealed:
            try:
                body = unwrap_request(state.context, body, content_type)
            except EncryptionError as exc:
                # The session key no longer matches (or the body was altered on the way): HTTP.sys drops the
                # logon and answers 400 with no body; the client must log on again on a new connection.
                log.info("refused a sealed request from %s: %s", self.client_address[0], exc)
                state.reset()
                self.close_connection = True
                self._send(400, b"", extra={"Connection": "close"}, content_type=None)
                return
            content_type = SOAP_CONTENT_TYPE
        elif not body and state.authenticated:
            self._send(200, b"", extra=extra, content_type=None)  # the empty POST a client logs on with
            return
        elif not tls and not self.server.service.allow_unencrypted:
            # Plain SOAP over HTTP while the host refuses unencrypted traffic (AllowUnencrypted=false): a
            # Windows host answers 401, whatever the logon.
            state.reset()
            self.server.service.record_rejected_login()
            self._send_challenge(401, self.server.authenticator.offers)
            return
        if content_type.split(";", 1)[0].strip().lower() != "application/soap+xml":
            self._send_plain(415, "Unsupported Media Type")
            return
        caller = Caller(
            username=outcome.username,
            client_ip=self.client_address[0],
            endpoint_url=self._endpoint_url(),
        )
        reply = self.server.service.handle(body, caller)
        if sealed:
            sealed_reply = wrap_response(state.context, reply.body)
            self._send(reply.status, sealed_reply, extra=extra, content_type=ENCRYPTED_CONTENT_TYPE)
        else:
            self._send(reply.status, reply.body, extra=extra)

    def _auth_state(self) -> ConnectionAuth:
        state = getattr(self, "_connection_auth", None)
        if state is None:
            state = self._connection_auth = ConnectionAuth()
        return state

    def _send_challenge(self, status: int, challenge: tuple[str, ...]) -> None:
        """A 401 as HTTP.sys sends it: no body, one `WWW-Authenticate` header per offered scheme."""
        self.send_response(status)
        for value in challenge:
            self.send_header("WWW-Authenticate", value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _refuse_method(self) -> None:
        try:
            self._read_body()
        except _BodyRefused:
            return
        self._send_plain(405, "Method Not Allowed", extra={"Allow": "POST"})

    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    def do_HEAD(self) -> None:
        self._send(405, b"", extra={"Allow": "POST"}, content_type=None)

    # -- helpers ----------------------------------------------------------------------------------------
    def _endpoint_url(self) -> str:
        scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        host = self.headers.get("Host") or "{}:{}".format(*self.connection.getsockname()[:2])
        return f"{scheme}://{host}{WSMAN_PATH}"

    def _read_body(self) -> bytes:
        transfer_encoding = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in transfer_encoding:
            return self._read_chunked()
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            if self.command in ("POST", "PUT", "PATCH"):
                self._refuse(411, "Length Required")
            return b""
        try:
            length = int(raw_length)
            if length < 0:
                raise ValueError(raw_length)
        except ValueError:
            self._refuse(400, "Bad Request")
        if length > MAX_READ_BODY:
            self._refuse(413, "Request Entity Too Large")
        return self._read_exactly(length)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self._refuse(400, "Bad Request")
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_READ_BODY:
                self._refuse(413, "Request Entity Too Large")
            parts.append(self._read_exactly(size))
            self.rfile.readline(1024)

    def _read_exactly(self, length: int) -> bytes:
        data = self.rfile.read(length)
        if len(data) != length:
            self.close_connection = True
            raise _BodyRefused
        return data

    def _refuse(self, status: int, reason: str) -> NoReturn:
        self.close_connection = True
        self._send_plain(status, reason, extra={"Connection": "close"})
        raise _BodyRefused

    def _send_plain(self, status: int, reason: str, *, extra: dict[str, str] | None = None) -> None:
        body = f"<html><body><h1>{status} {reason}</h1></body></html>".encode()
        self._send(status, body, extra=extra, content_type="text/html; charset=us-ascii")

    def _send(
        self,
        status: int,
        body: bytes,
        *,
        extra: dict[str, str] | None = None,
        content_type: str | None = SOAP_CONTENT_TYPE,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
