"""The error tree every layer maps its failures into.

Each error carries a message a person can act on: what happened and what to do next. Host errors keep
the FullyQualifiedErrorId because the message text is localized by the host and must never be matched.
"""

from __future__ import annotations


class HvGuiError(Exception):
    """Base of every error hvgui shows to a person."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ConnectionFailed(HvGuiError):
    """The host could not be reached or refused the session."""


class HostUnreachable(ConnectionFailed):
    """No WinRM listener answered: wrong name or port, host down, firewall."""


class AuthenticationFailed(ConnectionFailed):
    """The listener answered but refused the credentials. Retrying the same ones cannot help and, in a
    domain, counts towards locking the account, so a session stops until it is given new ones."""


class AccessDenied(AuthenticationFailed):
    """The host accepted the sign-in but refused this account remote PowerShell: another account is needed,
    so, like a wrong password, it is not retried on a schedule."""


class AuthenticationMethodRefused(ConnectionFailed):
    """The listener does not offer the authentication method hvgui was set to use; the password was never
    checked, so this is not a wrong password."""


class ShellQuotaExceeded(ConnectionFailed):
    """The host refused a new session: the user already has as many WinRM shells open as its quota allows."""


class TlsFailure(ConnectionFailed):
    """The HTTPS handshake failed: untrusted or mismatched certificate, or HTTP spoken to HTTPS."""


class CertificateNotTrusted(TlsFailure):
    """No trusted authority vouches for the host's certificate: the admin may look at it and trust it for
    this host (pin its fingerprint) or choose the CA file that issued it."""


class CertificateChanged(TlsFailure):
    """The host shows another certificate than the one the admin trusted for it (pinned): either the host
    got a new certificate, or something between here and the host poses as it. Never accepted silently."""

    def __init__(self, message: str, *, hint: str = "", expected: str = "", presented: str = "") -> None:
        super().__init__(message, hint=hint)
        self.expected = expected
        self.presented = presented


class KerberosFailure(AuthenticationMethodRefused):
    """Kerberos could not get a ticket for the host (no ticket, a name the domain does not know, clock
    skew): the password was not checked, and something on this computer or in the name must change."""


class OperationTimedOut(HvGuiError):
    """The host did not answer within the time allowed."""


class ProtocolError(HvGuiError):
    """The host answered with something hvgui cannot read (a bug on one side or a proxy in between)."""


class HostCommandError(HvGuiError):
    """A command ran on the host and the host reported an error."""

    def __init__(
        self,
        message: str,
        *,
        fully_qualified_error_id: str = "",
        category: str = "",
        target: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.fully_qualified_error_id = fully_qualified_error_id
        self.category = category
        self.target = target

    @property
    def error_id(self) -> str:
        """The part of the FullyQualifiedErrorId before the cmdlet class, e.g. `InvalidParameter`."""
        return self.fully_qualified_error_id.split(",", 1)[0]


class OperationCancelled(HvGuiError):
    """The admin stopped an operation in answer to one of its questions (e.g. "Cancel copy" when a file exists).
    It is not a failure: the record says Cancelled, and `result` holds what was done before (a copy's report)."""

    def __init__(self, message: str, *, result: object | None = None) -> None:
        super().__init__(message)
        self.result = result
