"""How to reach a host: the settings of one WinRM connection, and the `--host` URI syntax."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from hvgui.domain.errors import AuthenticationFailed


class HostState(enum.Enum):
    """Where a host connection stands, as the window shows it."""

    Connecting = "Connecting"
    Connected = "Connected"
    Failed = "Failed"  # the last attempt failed; a retry is scheduled (see HostStatus.next_retry_at)
    Closed = "Closed"


class UpdateMode(enum.Enum):
    """How a connected host's changes reach the window."""

    Live = "live"  # the host streams its changes (a change watcher runs on it)
    Polling = "polling"  # the client reads the host's whole inventory on a schedule


class AuthMethod(enum.Enum):
    """The authentication protocols pypsrp offers."""

    Negotiate = "negotiate"
    Ntlm = "ntlm"
    Kerberos = "kerberos"
    CredSsp = "credssp"
    Basic = "basic"


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything needed to open a session to a host except the password (kept in memory or the keyring)."""

    host: str
    port: int = 5986
    use_https: bool = True
    auth: AuthMethod = AuthMethod.Negotiate
    username: str = ""
    verify_certificate: bool = True
    ca_file: str | None = None  # trust this CA bundle instead of the system store
    display_name: str = ""  # what the window calls the host; the host name when empty
    #: SHA-256 fingerprint (hex) of the certificate the admin trusted for this host: checked instead of a CA.
    pinned_sha256: str | None = None

    @property
    def unencrypted(self) -> bool:
        """Basic over plain HTTP: the password and every message cross the network in clear text."""
        return self.auth is AuthMethod.Basic and not self.use_https

    @property
    def unverified(self) -> bool:
        """HTTPS with the certificate checked by nothing: anyone on the path can pose as the host."""
        return self.use_https and not self.verify_certificate and not self.pinned_sha256

    @property
    def key(self) -> str:
        """Identifies the connection: two settings with the same key talk to the same listener."""
        scheme = "https" if self.use_https else "http"
        return f"{scheme}://{self.host.lower()}:{self.port}"

    @property
    def label(self) -> str:
        return self.display_name or self.host

    @property
    def url(self) -> str:
        scheme = "https" if self.use_https else "http"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}/wsman"


def _password_parts(text: str) -> tuple[str, str, str, str] | None:
    """(`scheme://` or "", user, password, `@host…`) of a URI whose user part holds a password, else None."""
    head, sep, rest = text.partition("://")
    prefix = f"{head}://" if sep else ""
    if not sep:
        rest = text
    ends = [i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0]
    authority_end = min(ends, default=len(rest))
    userinfo, at, host = rest[:authority_end].rpartition("@")
    if not at or ":" not in userinfo:
        return None
    user, _, password = userinfo.partition(":")
    return prefix, user, password, f"@{host}{rest[authority_end:]}"


def split_uri_password(text: str) -> tuple[str, str | None]:
    """`scheme://user:password@host…` -> (`scheme://user@host…`, password); (text, None) without a password.

    Used where a person pasted a URI with a password in it: the password moves to where secrets go, and the
    rest can be shown, parsed or quoted in a message.
    """
    parts = _password_parts(text)
    if parts is None:
        return text, None
    prefix, user, password, rest = parts
    return f"{prefix}{user}{rest}", unquote(password)


def mask_uri_password(text: str) -> str:
    """The text with any password in a URI's user part replaced by `***` (for messages and logs)."""
    parts = _password_parts(text)
    if parts is None:
        return text
    prefix, user, _password, rest = parts
    return f"{prefix}{user}:***{rest}"


def transport_badge(settings: ConnectionSettings) -> str:
    """The word the hosts pane marks a host with when its connection is not safe ("" when it is)."""
    if settings.unencrypted:
        return "unencrypted"
    if settings.unverified:
        return "unverified"
    return ""


def transport_warning(settings: ConnectionSettings) -> str:
    """The warning printed at start for a connection that is not safe ("" when it is)."""
    where = f"{settings.host}:{settings.port}"
    if settings.unencrypted:
        return (
            f"{where} uses Basic authentication over plain HTTP: the password and everything hvgui reads or "
            "changes cross the network unencrypted. Use HTTPS, or Negotiate (which encrypts every message)."
        )
    if settings.unverified:
        return (
            f"{where}: certificate checking is off (--no-verify): anyone on the network path can pose as the "
            "host and capture the password. Trust the host's certificate or give its CA file instead."
        )
    return ""


def redact_uri(text: str) -> str:
    """A host URI as it may be shown or logged: a password in it (`user:secret@`) becomes `***`."""
    return mask_uri_password(text)


def parse_host_uri(text: str, *, auth: AuthMethod | None = None) -> ConnectionSettings:
    """Parse `[http|https://][user@]host[:port][/wsman]` as given to `hvgui --host`.

    The scheme defaults to HTTPS and the port to the WinRM default of the scheme (5986 / 5985). A
    password in the URI is refused: passwords never travel on a command line.
    """
    raw = text.strip()
    if not raw:
        raise ValueError("empty host")
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"unsupported scheme {parts.scheme!r}: use http or https")
    if parts.password is not None:
        raise ValueError("do not put a password in the host URI; hvgui asks for it")
    if not parts.hostname:
        raise ValueError(f"no host name in {mask_uri_password(text)!r}")
    if parts.path not in ("", "/", "/wsman"):
        raise ValueError(f"unexpected path {parts.path!r}: WinRM listens on /wsman")
    use_https = parts.scheme == "https"
    try:
        port = parts.port or (5986 if use_https else 5985)
    except ValueError:
        raise ValueError(f"bad port in {mask_uri_password(text)!r}") from None
    return ConnectionSettings(
        host=parts.hostname,
        port=port,
        use_https=use_https,
        auth=auth or AuthMethod.Negotiate,
        username=unquote(parts.username or ""),
    )


@dataclass(frozen=True)
class HostStatus:
    """A host connection's state as published to the window after every change."""

    key: str
    label: str
    state: HostState
    error: Exception | None = None  # an HvGuiError when state is Failed
    next_retry_at: float | None = None  # time.monotonic() of the next automatic attempt
    vm_count: int = 0
    host_name: str = ""  # the name the host reports for itself, once known
    last_refresh_at: float | None = None  # time.time() of the last refresh that arrived
    stale: bool = False  # a refresh is overdue or failed: the VMs shown may no longer be true
    unreadable: int = 0  # VM entries of the last refresh that could not be read: the VM list is incomplete
    #: time.time() when the running attempt at the host's first inventory started; None once one arrived
    #: (or while the host is failing). A host of a thousand VMs may take a while: the window says "Loading…".
    loading_since: float | None = None
    first_load_seconds: float | None = None  # how long the host's first inventory took, once it arrived
    #: How changes arrive (None: the session does not watch for them, it only polls), the polling interval, and
    #: what the window should know about it: why it polls, or what happened to the host's change stream.
    update_mode: UpdateMode | None = None
    poll_interval: float | None = None
    update_note: str = ""
    #: "unencrypted" (Basic over HTTP) or "unverified" (certificate not checked): the hosts pane marks it.
    security: str = ""

    @property
    def needs_credentials(self) -> bool:
        """The host refused the user name or password; the session waits for new ones instead of retrying."""
        return isinstance(self.error, AuthenticationFailed)

    def loading_for(self, now: float) -> float | None:
        """Seconds the first inventory has been loading (`now` from time.time()); None when not loading."""
        return None if self.loading_since is None else max(0.0, now - self.loading_since)

    def data_age(self, now: float) -> float | None:
        """Seconds since the last refresh arrived (`now` from time.time()), None before the first one."""
        return None if self.last_refresh_at is None else max(0.0, now - self.last_refresh_at)

    @property
    def updates_text(self) -> str:
        """ "live" or "polling every 2 s"; "" when the session does not say (it only polls)."""
        if self.update_mode is UpdateMode.Live:
            return "live"
        if self.update_mode is UpdateMode.Polling:
            interval = self.poll_interval
            return "polling" if interval is None else f"polling every {interval:g} s"
        return ""


def data_age_text(age: float | None) -> str:
    """How old a host's data is, as the window says it: "data 12 s old", "data 3 min old"."""
    if age is None:
        return "no data yet"
    seconds = round(age)
    if seconds < 90:
        return f"data {seconds} s old"
    if seconds < 90 * 60:
        return f"data {round(seconds / 60)} min old"
    return f"data {round(seconds / 3600)} h old"
