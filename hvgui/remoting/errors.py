"""Turn what pypsrp, requests, ssl and the host raise into the domain's error tree.

Each message says what happened and what to check, in terms of the host the person configured
(`host:port`), never in terms of library internals. Host errors keep their FullyQualifiedErrorId,
because the host localizes the message text.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.exceptions
from pypsrp.exceptions import AuthenticationError, WinRMError, WinRMTransportError, WSManFaultError

from hvgui.domain.connection import ConnectionSettings
from hvgui.domain.errors import (
    AccessDenied,
    AuthenticationFailed,
    AuthenticationMethodRefused,
    CertificateChanged,
    CertificateNotTrusted,
    ConnectionFailed,
    HostCommandError,
    HostUnreachable,
    HvGuiError,
    OperationTimedOut,
    ProtocolError,
    ShellQuotaExceeded,
    TlsFailure,
)
from hvgui.remoting.kerberos import kerberos_failure
from hvgui.remoting.transport import method_offered, offered_schemes

#: WS-Management fault codes hvgui reacts to (MS-WSMV; values as pypsrp reports them).
WSMAN_OPERATION_TIMEOUT = 2150858793  # 0x80338029: a Receive found no output before OperationTimeout
WSMAN_SHELL_NOT_FOUND = 2150858843  # 0x8033805B: the host no longer knows the runspace pool
WSMAN_ACCESS_DENIED = 5  # ERROR_ACCESS_DENIED: the session configuration refused the user
#: ERROR_WSMAN_QUOTA_MAX_SHELLS and its per-plug-in variants (`hyperv-cim-winrm.md` §6.b): which one a host
#: sends with the shell-quota text is unverified, and pypsrp keeps only the numeric code, so all count.
WSMAN_QUOTA_MAX_SHELLS = (2150859173, 2150859236, 2150859238)
#: urllib3's text when a pinned certificate's fingerprint does not match the one the host presented.
_FINGERPRINT_MISMATCH = re.compile(r'Fingerprints did not match\. Expected "([0-9a-fA-F:]+)", got "([0-9a-fA-F:]+)"')
#: pypsrp's AuthenticationError text when the 401 offers none of the methods it was told to use.
_METHOD_NOT_OFFERED = re.compile(r"did not respon\w* with one of the following authentication methods.*actual: (.*)$")

#: `System.Management.Automation.ErrorCategory`, by value (PowerShell SDK); ErrorRecords carry the int.
ERROR_CATEGORIES = (
    "NotSpecified",
    "OpenError",
    "CloseError",
    "DeviceError",
    "DeadlockDetected",
    "InvalidArgument",
    "InvalidData",
    "InvalidOperation",
    "InvalidResult",
    "InvalidType",
    "MetadataError",
    "NotImplemented",
    "NotInstalled",
    "ObjectNotFound",
    "OperationStopped",
    "OperationTimeout",
    "SyntaxError",
    "ParserError",
    "PermissionDenied",
    "ResourceBusy",
    "ResourceExists",
    "ResourceUnavailable",
    "ReadError",
    "WriteError",
    "FromStdErr",
    "SecurityError",
    "ProtocolError",
    "ConnectionError",
    "AuthenticationError",
    "LimitsExceeded",
    "QuotaExceeded",
    "NotEnabled",
)

AUTH_FAILED_MESSAGE = (
    "The host refused the user name or password. Check them; the account must be in Hyper-V Administrators "
    "(or local Administrators) on the host."
)


@dataclass(frozen=True)
class ErrorContext:
    """What a message needs to name: the endpoint as configured and the time limits in force."""

    settings: ConnectionSettings
    connect_timeout: float
    read_timeout: float

    @property
    def endpoint(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    @property
    def scheme(self) -> str:
        return "HTTPS" if self.settings.use_https else "HTTP"


def map_exception(exc: BaseException, context: ErrorContext, *, offered: Sequence[str] = ()) -> HvGuiError:
    """The domain error for an exception raised while talking to a host.

    `offered` are the schemes of the host's last 401 (`transport.ChallengeLog`): a refusal from a host that
    does not offer the chosen method at all is not a wrong password.
    """
    if isinstance(exc, HvGuiError):
        return exc
    method = context.settings.auth.value
    if isinstance(exc, AuthenticationError):
        not_offered = _METHOD_NOT_OFFERED.search(str(exc))
        if not_offered is not None:
            return _method_refused(offered_schemes([not_offered.group(1).strip(" '\"")]), context)
        if offered and not method_offered(method, tuple(offered)):
            return _method_refused(tuple(offered), context)
        return _authentication_failed(context)
    missing = _missing_library(exc, method)
    if missing is not None:
        return missing
    kerberos = kerberos_failure(exc, context)
    if kerberos is not None:
        return kerberos
    if isinstance(exc, WSManFaultError):
        return _from_wsman_fault(exc, context)
    if isinstance(exc, WinRMTransportError):
        return _from_http_status(exc, context)
    chain = list(_causes(exc))
    if isinstance(exc, requests.exceptions.ProxyError) or any(
        isinstance(e, urllib3.exceptions.ProxyError) for e in chain
    ):
        return _proxy_failure(chain, context)
    tls = _tls_reason(chain)
    if tls is not None:
        return _tls_failure(tls, context)
    if any(isinstance(e, (socket.gaierror, urllib3.exceptions.NameResolutionError)) for e in chain):
        return HostUnreachable(
            f"The host name {context.settings.host!r} could not be resolved.",
            hint="Check the spelling, or use the host's fully qualified name or IP address.",
        )
    # urllib3 derives "connection refused" (NewConnectionError) from ConnectTimeoutError; only a real
    # timeout counts here.
    connect_timed_out = any(
        isinstance(e, urllib3.exceptions.ConnectTimeoutError)
        and not isinstance(e, urllib3.exceptions.NewConnectionError)
        for e in chain
    )
    if isinstance(exc, requests.exceptions.ConnectTimeout) or connect_timed_out:
        return HostUnreachable(
            f"{context.endpoint} did not accept a connection within {context.connect_timeout:g} s.",
            hint=_listener_hint(context),
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return HostUnreachable(
            f"Nothing is listening on {context.endpoint} (connection refused).",
            hint=_listener_hint(context),
        )
    if isinstance(exc, (requests.exceptions.ReadTimeout, TimeoutError)) or any(
        isinstance(e, (urllib3.exceptions.ReadTimeoutError, socket.timeout)) for e in chain
    ):
        return OperationTimedOut(
            f"{context.endpoint} accepted the connection but did not answer within {context.read_timeout:g} s.",
            hint="The host may be overloaded; hvgui tries again by itself.",
        )
    if any(
        isinstance(e, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, http.client.RemoteDisconnected))
        for e in chain
    ) or isinstance(exc, requests.exceptions.ConnectionError):
        return HostUnreachable(
            f"The connection to {context.endpoint} was dropped.",
            hint="The host or its WinRM service may have restarted; hvgui reconnects by itself. "
            + (
                "If this happens at once every time, check that the port speaks HTTPS."
                if context.settings.use_https
                else "If this happens at once every time, the port may expect HTTPS."
            ),
        )
    if isinstance(exc, OSError):
        return HostUnreachable(f"Could not reach {context.endpoint}: {exc}.", hint=_listener_hint(context))
    if isinstance(exc, WinRMError):
        return _unreadable_answer(exc, context)
    if isinstance(exc, ValueError):
        return ConnectionFailed(f"The connection settings for {context.endpoint} cannot be used: {exc}.")
    return ProtocolError(f"Unexpected failure talking to {context.endpoint}: {type(exc).__name__}: {exc}.")


def is_connection_level(error: HvGuiError) -> bool:
    """True when the runspace pool cannot be trusted afterwards and must be opened again."""
    return not isinstance(error, HostCommandError)


def host_command_error(record: Any, command: str = "") -> HostCommandError:
    """A HostCommandError from a pypsrp ErrorRecord (terminating or not)."""
    message = _record_message(record)
    category = _category_name(getattr(record, "category", None), getattr(record, "message", None))
    target = getattr(record, "target_name", None) or ""
    if not target:
        target_object = getattr(record, "target_object", None)
        target = "" if target_object is None else str(target_object)
    return HostCommandError(
        message or f"{command or 'The command'} failed on the host without a message.",
        fully_qualified_error_id=str(getattr(record, "fq_error", None) or ""),
        category=category,
        target=target,
    )


# --- helpers -------------------------------------------------------------------------------------------


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (requests and urllib3 nest several levels deep)."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nested in (current.__cause__, current.__context__, getattr(current, "reason", None), *current.args):
            if isinstance(nested, BaseException):
                pending.append(nested)


def _tls_reason(chain: list[BaseException]) -> str | None:
    """The reason text when the failure is a TLS handshake problem, else None."""
    for error in chain:
        if isinstance(error, ssl.SSLCertVerificationError):
            return getattr(error, "verify_message", None) or str(error)
    for error in chain:
        if isinstance(error, (ssl.SSLError, requests.exceptions.SSLError, urllib3.exceptions.SSLError)):
            return str(error)
    return None


def _tls_failure(reason: str, context: ErrorContext) -> TlsFailure:
    lowered = reason.lower()
    changed = _FINGERPRINT_MISMATCH.search(reason)
    if changed is not None:
        return CertificateChanged(
            f"WARNING: the certificate of {context.endpoint} has changed since you trusted it. Someone may be "
            "posing as the host (a man-in-the-middle attack), or the host got a new certificate. hvgui did not "
            "connect and sent no password.",
            hint=f"Trusted SHA-256 {changed.group(1)}; now presented {changed.group(2)}. Check the new "
            "certificate's fingerprint on the host itself (Get-ChildItem Cert:\\LocalMachine\\My | "
            "Format-List Thumbprint, Subject) before you trust it again.",
            expected=changed.group(1),
            presented=changed.group(2),
        )
    ca_hint = (
        "Set the host's CA file to the certificate of the authority that issued the host's certificate "
        "(or, for a test host only, turn certificate checking off)."
    )
    if "hostname mismatch" in lowered or "doesn't match" in lowered or "ip address mismatch" in lowered:
        return TlsFailure(
            f"The certificate of {context.endpoint} is not issued for {context.settings.host!r}.",
            hint="Connect with the name the certificate was issued for (see its subject alternative names).",
        )
    if "wrong version number" in lowered or "record layer" in lowered or "packet length" in lowered:
        return TlsFailure(
            f"{context.endpoint} does not speak HTTPS.",
            hint="WinRM uses 5985 for HTTP and 5986 for HTTPS: match the scheme to the listener's port.",
        )
    if "certificate" in lowered or "verify" in lowered:
        ca = context.settings.ca_file
        trusted_by = f"the CA file {ca!r}" if ca else "this computer's trusted authorities"
        return CertificateNotTrusted(
            f"The certificate of {context.endpoint} is not trusted by {trusted_by}.",
            hint="Look at the certificate and trust it for this host, or " + ca_hint[0].lower() + ca_hint[1:],
        )
    return TlsFailure(f"The HTTPS handshake with {context.endpoint} failed: {reason}.", hint=ca_hint)


def _authentication_failed(context: ErrorContext) -> AuthenticationFailed:
    user = context.settings.username or "(no user name)"
    return AuthenticationFailed(
        AUTH_FAILED_MESSAGE, hint=f"User {user}, {context.settings.auth.value} authentication, {context.endpoint}."
    )


def _access_denied(context: ErrorContext) -> AccessDenied:
    user = context.settings.username or "(no user name)"
    return AccessDenied(
        f"{context.endpoint} accepted the sign-in of {user} but refused it remote PowerShell (access denied).",
        hint="Use an account in Hyper-V Administrators (or local Administrators) on the host; the default "
        "Microsoft.PowerShell endpoint admits Administrators and Remote Management Users.",
    )


def _method_refused(offered: tuple[str, ...], context: ErrorContext) -> AuthenticationMethodRefused:
    schemes = ", ".join(offered) if offered else "another method"
    return AuthenticationMethodRefused(
        f"{context.endpoint} does not accept {context.settings.auth.value} authentication (it offers {schemes}).",
        hint="The user name and password were not checked. Choose one of the methods the WinRM listener "
        "offers, or enable this one on the host (winrm/config/service/auth).",
    )


def _missing_library(exc: BaseException, method: str) -> AuthenticationMethodRefused | None:
    """Kerberos needs `gssapi` and CredSSP `requests-credssp`; without them pypsrp raises an ImportError."""
    chain = list(_causes(exc))
    if not any(isinstance(e, ImportError) for e in chain):
        return None
    text = " ".join(str(e) for e in chain).lower()
    if "gssapi" in text or method == "kerberos":
        return AuthenticationMethodRefused(
            "Kerberos is not available on this computer: the Python gssapi library is not installed, so "
            "Negotiate means NTLM here.",
            hint="Install hvgui's Kerberos support (`sh installer/quickstart.sh kerberos`, which needs the "
            "system's Kerberos development files), or choose Negotiate or NTLM.",
        )
    if "credssp" in text or method == "credssp":
        return AuthenticationMethodRefused(
            "CredSSP is not available on this computer: the requests-credssp library is not installed.",
            hint="Install it (`pip install requests-credssp`), or choose Negotiate.",
        )
    return None


def _unreadable_answer(exc: WinRMError, context: ErrorContext) -> ProtocolError:
    """A WinRMError that is not a fault: pypsrp could not follow the answer.

    Only an answer that is not WinRM at all (no SOAP envelope, a message id of another request) points at
    a proxy or another service; PSRP-level trouble such as fragments out of order comes from a WinRM host
    whose session went wrong, and hvgui opens a new session for it.
    """
    text = str(exc)
    if "related id does not match" in text.lower():
        return ProtocolError(
            f"{context.endpoint} answered a different request than the one hvgui sent.",
            hint="A proxy or a non-WinRM service may sit on that port.",
        )
    return ProtocolError(
        f"The session with {context.endpoint} got out of step: {text}.",
        hint="hvgui opens a new session by itself; if this repeats, the host may be overloaded.",
    )


def _from_wsman_fault(exc: WSManFaultError, context: ErrorContext) -> HvGuiError:
    code = exc.code
    reason = (exc.reason or "").strip()
    if code in WSMAN_QUOTA_MAX_SHELLS:
        return ShellQuotaExceeded(
            f"{context.endpoint} refused a new session: {context.settings.username or 'this user'} has as many "
            "WinRM shells open as the host allows.",
            hint="Close other PowerShell sessions to this host (Get-PSSession / Remove-PSSession, or other "
            "consoles), wait for idle ones to time out, or raise the quota (MaxShellsPerUser of the "
            f"Microsoft.PowerShell endpoint). The host said: {reason or 'no details'}",
        )
    if code == WSMAN_OPERATION_TIMEOUT:
        return OperationTimedOut(
            f"{context.endpoint} did not finish the operation in time.",
            hint="The host may be overloaded; hvgui tries again by itself.",
        )
    if code == WSMAN_ACCESS_DENIED:
        return _access_denied(context)
    if code == WSMAN_SHELL_NOT_FOUND:
        return ProtocolError(
            f"{context.endpoint} no longer knows this session (WinRM restarted or the session timed out).",
            hint="hvgui opens a new session by itself.",
        )
    return ProtocolError(
        f"The WinRM service on {context.endpoint} reported a fault: {reason or 'no details'} (code {code}).",
    )


def _from_http_status(exc: WinRMTransportError, context: ErrorContext) -> HvGuiError:
    code = exc.code
    if code == 404:
        return ProtocolError(
            f"{context.endpoint} has no WinRM endpoint at /wsman (HTTP 404).",
            hint="Check the port: another web service may be listening there.",
        )
    if code == 401:
        return _authentication_failed(context)
    if code == 400 and not context.settings.use_https and context.settings.auth.value != "basic":
        return ProtocolError(
            f"{context.endpoint} could not decrypt a message of this session (HTTP 400).",
            hint="Over HTTP every message is sealed with the key of the sign-in; the host dropped it (or the "
            "message was altered on the way). hvgui signs in again by itself.",
        )
    if code == 403:
        return _access_denied(context)
    return ProtocolError(f"{context.endpoint} answered {context.scheme} status {code}.", hint=_listener_hint(context))


def _proxy_failure(chain: list[BaseException], context: ErrorContext) -> HostUnreachable:
    """The environment named a proxy for the host and the proxy failed: saying that the host is not
    listening would send the admin to the wrong machine."""
    scheme = "https" if context.settings.use_https else "http"
    url = f"{scheme}://{context.settings.host}:{context.settings.port}/wsman"
    proxies = requests.utils.get_environ_proxies(url)
    proxy = proxies.get(scheme) or proxies.get("all")
    named = f"the proxy {_without_password(proxy)}" if proxy else "its proxy"
    refused = any(isinstance(e, ConnectionRefusedError) for e in chain)
    return HostUnreachable(
        f"Could not reach {context.endpoint} through {named}"
        + (" (the proxy refused the connection)." if refused else "."),
        hint="hvgui follows the proxy settings of its environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY). "
        "Check the proxy, or add the host to NO_PROXY to connect directly.",
    )


def _without_password(proxy: str) -> str:
    """The proxy's address without the user name and password it may carry."""
    parts = urllib.parse.urlsplit(proxy)
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, "", "", ""))


def _listener_hint(context: ErrorContext) -> str:
    port = context.settings.port
    return (
        f"Check that the host is running and that WinRM listens on {context.scheme} port {port}: on the host run "
        "`winrm quickconfig` (or `Enable-PSRemoting`), and allow the port through its firewall "
        "(WinRM uses 5985 for HTTP and 5986 for HTTPS)."
    )


def _record_message(record: Any) -> str:
    """The error's own message: ErrorDetails if set, else the exception's Message, else the record's text."""
    details = getattr(record, "details_message", None)
    if details:
        return str(details)
    exception = getattr(record, "exception", None)
    for properties in (getattr(exception, "adapted_properties", None), getattr(exception, "extended_properties", None)):
        if isinstance(properties, dict) and properties.get("Message"):
            return str(properties["Message"])
    text = str(record) if record is not None else ""
    if text and text != "None":
        return text
    return str(getattr(record, "message", "") or "")


def _category_name(value: Any, category_message: Any) -> str:
    if isinstance(value, int) and 0 <= value < len(ERROR_CATEGORIES):
        return ERROR_CATEGORIES[value]
    if isinstance(category_message, str) and ":" in category_message:
        # "ObjectNotFound: (x:String) [Get-VM], ..." carries the category name first
        return category_message.split(":", 1)[0].strip()
    return "" if value is None else str(value)
