"""Who may talk to an emulated host: Basic, NTLM and Negotiate, as the WinRM service of a real host checks them.

A real host's WinRM service has Basic off and Negotiate on (Kerberos in a domain, NTLM otherwise), and
HTTP.sys authenticates the *connection*: once a Negotiate handshake completes, later requests on the same
keep-alive connection carry no `Authorization` header at all, and over plain HTTP their bodies are sealed
with the session key of that handshake (see `hvgui.emulator.wsman.encryption`). So the state of a handshake
lives with the connection (`ConnectionAuth`), and the listener's `Authenticator` only knows the methods and
the one account.

NTLM is checked by pyspnego's acceptor, which looks accounts up in the flat file named by the environment
variable `NTLM_USER_FILE`. An environment variable is one per process while several emulators may run in
one process (tests), so `NtlmUserStore` keeps a single file in a private temporary directory holding the
accounts of every listener of the process, and each listener then checks that the account that logged on
is its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

log = logging.getLogger(__name__)

#: The methods `--auth` accepts, in the order a real host lists them in its 401.
AUTH_METHODS = ("negotiate", "ntlm", "basic")
DEFAULT_AUTH = ("negotiate",)
#: What each method adds to a 401: a real host offers Kerberos next to Negotiate (a workgroup host too).
_OFFERS = {
    "negotiate": ("Negotiate", "Kerberos"),
    "ntlm": ("NTLM",),
    "basic": ('Basic realm="WSMAN"',),
}
#: HTTP authorization schemes that carry SPNEGO / NTLM / Kerberos tokens, and the method that allows each.
_TOKEN_SCHEMES = {"negotiate": "negotiate", "kerberos": "negotiate", "ntlm": "ntlm"}


def parse_auth_list(text: str) -> tuple[str, ...]:
    """`negotiate,basic` → ("negotiate", "basic"); raises ValueError naming what is wrong."""
    methods: list[str] = []
    for part in text.split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name not in AUTH_METHODS:
            raise ValueError(f"unknown authentication method {name!r}: use a comma list of {', '.join(AUTH_METHODS)}")
        if name not in methods:
            methods.append(name)
    if not methods:
        raise ValueError("no authentication method given")
    return tuple(name for name in AUTH_METHODS if name in methods)


class NtlmUserStore:
    """The process's `NTLM_USER_FILE`: the accounts of every emulated listener, in a private temp dir."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _directory: ClassVar[str | None] = None
    #: upper-case user → (user, password, how many listeners serve it)
    _accounts: ClassVar[dict[str, tuple[str, str, int]]] = {}

    @classmethod
    def add(cls, username: str, password: str) -> None:
        """Let `username` log on with `password` over NTLM; raises ValueError if it has another password."""
        with cls._lock:
            key = username.upper()
            user, secret, count = cls._accounts.get(key, (username, password, 0))
            if count and secret != password:
                raise ValueError(f"user {username!r} is already served with another password in this process")
            cls._accounts[key] = (user, secret, count + 1)
            cls._write()

    @classmethod
    def remove(cls, username: str) -> None:
        with cls._lock:
            key = username.upper()
            entry = cls._accounts.get(key)
            if entry is None:
                return
            if entry[2] <= 1:
                del cls._accounts[key]
            else:
                cls._accounts[key] = (entry[0], entry[1], entry[2] - 1)
            cls._write()
            if not cls._accounts and cls._directory is not None:
                if os.environ.get("NTLM_USER_FILE") == cls._path():
                    del os.environ["NTLM_USER_FILE"]
                shutil.rmtree(cls._directory, ignore_errors=True)
                cls._directory = None

    @classmethod
    def _path(cls) -> str:
        assert cls._directory is not None
        return os.path.join(cls._directory, "ntlm-users")

    @classmethod
    def _write(cls) -> None:
        if cls._directory is None:
            cls._directory = tempfile.mkdtemp(prefix="hvgui-emulator-ntlm-")
        # Heimdal format DOMAIN:USER:PASSWORD. A local account logs on with no domain or with "."
        # (".\\user"); a colon in a password would split the line, so such passwords are refused up front.
        lines = []
        for user, password, _count in cls._accounts.values():
            lines += [f":{user}:{password}", f".:{user}:{password}"]
        path = cls._path()
        temporary = path + ".new"
        with open(temporary, "w", encoding="utf-8") as handle:
            os.chmod(temporary, 0o600)
            handle.write("\n".join(lines) + "\n")
        os.replace(temporary, path)
        os.environ["NTLM_USER_FILE"] = path


@dataclass
class ConnectionAuth:
    """The authentication state of one client connection."""

    context: Any = None  # a pyspnego acceptor, during and after a Negotiate/NTLM handshake
    scheme: str = ""  # the HTTP scheme the handshake used ("Negotiate", "NTLM", "Kerberos")
    username: str = ""  # who logged on; empty while not authenticated
    sealed: bool = False  # the logon has a session key, so sealed (`multipart/encrypted`) bodies can be opened

    @property
    def authenticated(self) -> bool:
        return bool(self.username) and self.context is not None

    def reset(self) -> None:
        self.context, self.scheme, self.username, self.sealed = None, "", "", False


@dataclass(frozen=True)
class AuthOutcome:
    """What to do with a request after its `Authorization` header (or its absence) was looked at.

    `status` is None when the request may go on (as `username`); otherwise answer it with `status` and the
    `WWW-Authenticate` values in `challenge` (a 401) without reading its SOAP.
    """

    status: int | None
    username: str = ""
    challenge: tuple[str, ...] = ()
    #: A token to send back with a successful answer (SPNEGO's final mechListMIC): `WWW-Authenticate`.
    final_token: str | None = None
    rejected: bool = False  # credentials were presented and refused (counts as a rejected logon)


@dataclass
class Authenticator:
    """The methods one listener accepts and the account it serves."""

    username: str
    password: str
    methods: tuple[str, ...] = DEFAULT_AUTH
    #: `tls-server-end-point` channel binding data of an HTTPS listener's certificate (None over HTTP).
    channel_binding: bytes | None = None
    _registered: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.uses_tokens:
            if ":" in self.username or ":" in self.password:
                raise ValueError("NTLM accounts cannot contain ':' in the user name or password")
            NtlmUserStore.add(self.username, self.password)
            self._registered = True

    @property
    def uses_tokens(self) -> bool:
        return any(method in ("negotiate", "ntlm") for method in self.methods)

    def close(self) -> None:
        if self._registered:
            self._registered = False
            NtlmUserStore.remove(self.username)

    @property
    def offers(self) -> tuple[str, ...]:
        """The `WWW-Authenticate` values of a 401, one header each, as a host with these methods sends them."""
        return tuple(offer for method in self.methods for offer in _OFFERS[method])

    def refuse(self, *, rejected: bool) -> AuthOutcome:
        return AuthOutcome(401, challenge=self.offers, rejected=rejected)

    def check(self, header: str | None, state: ConnectionAuth) -> AuthOutcome:
        """Look at a request's `Authorization` header on a connection in `state` (updated in place)."""
        if not header:
            if state.authenticated:
                return AuthOutcome(None, username=state.username)
            return self.refuse(rejected=False)
        scheme, _, credentials = header.strip().partition(" ")
        lowered = scheme.lower()
        if lowered == "basic" and "basic" in self.methods:
            state.reset()
            if self._basic_accepts(credentials.strip()):
                return AuthOutcome(None, username=self.username)
            return self.refuse(rejected=True)
        method = _TOKEN_SCHEMES.get(lowered)
        if method is None or method not in self.methods:
            state.reset()
            return self.refuse(rejected=True)
        return self._step(scheme, credentials.strip(), state)

    def _basic_accepts(self, encoded: str) -> bool:
        try:
            decoded = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(decoded, f"{self.username}:{self.password}".encode())

    def _step(self, scheme: str, encoded: str, state: ConnectionAuth) -> AuthOutcome:
        import spnego  # only listeners that speak NTLM need it
        from spnego.channel_bindings import GssChannelBindings
        from spnego.exceptions import SpnegoError

        try:
            token = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            state.reset()
            return self.refuse(rejected=True)
        if state.context is None or state.context.complete or state.scheme.lower() != scheme.lower():
            bindings = None
            if self.channel_binding is not None:
                bindings = GssChannelBindings(application_data=self.channel_binding)
            state.reset()
            state.context = spnego.server(protocol="negotiate", channel_bindings=bindings)
            state.scheme = scheme
        context = state.context
        try:
            out_token = context.step(token)
        except SpnegoError as exc:
            log.info("refused a %s logon: %s", scheme, exc)
            state.reset()
            return self.refuse(rejected=True)
        except Exception as exc:  # a malformed token makes pyspnego raise more than SpnegoError
            log.info("refused a malformed %s token: %s", scheme, exc)
            state.reset()
            return self.refuse(rejected=True)
        encoded_out = f"{scheme} {base64.b64encode(out_token).decode()}" if out_token else None
        if not context.complete:
            return AuthOutcome(401, challenge=(encoded_out or scheme,))
        principal = str(context.client_principal or "")
        user = principal.rpartition("\\")[2].partition("@")[0]
        if user.upper() != self.username.upper():
            log.info("refused %s: not this host's account", principal)
            state.reset()
            return self.refuse(rejected=True)
        state.username = self.username
        # The logon has a session key: sealed bodies can be opened (a client seals over HTTP, and may over HTTPS).
        state.sealed = True
        return AuthOutcome(None, username=self.username, final_token=encoded_out)


def channel_binding_data(certificate_pem: bytes) -> bytes:
    """RFC 5929 `tls-server-end-point` data of a certificate: what an HTTPS client binds its NTLM logon to."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    certificate = x509.load_pem_x509_certificate(certificate_pem)
    der = certificate.public_bytes(Encoding.DER)
    algorithm = certificate.signature_hash_algorithm
    if algorithm is None or algorithm.name in ("md5", "sha1"):
        digest = hashlib.sha256(der).digest()
    else:
        digest = hashlib.new(algorithm.name, der).digest()
    return b"tls-server-end-point:" + digest
