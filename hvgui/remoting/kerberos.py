"""Kerberos on this computer: whether it can work at all, and the failures a person can act on.

pypsrp's Negotiate uses Kerberos through pyspnego and the `gssapi` library, and quietly falls back to NTLM
when `gssapi` is missing (always so without hvgui's Kerberos extra). When Kerberos itself fails, MIT
Kerberos and Heimdal say why in their own words, wrapped by pyspnego in a `SpnegoError`; three causes are
common and each has one fix:

- no ticket: the user never ran `kinit` (or the ticket expired);
- the host's name is not the one the domain knows (an IP address, or a short or aliased name): Kerberos
  asks the KDC for `HTTP/<name>` (pypsrp asks for `host/<name>`) and the KDC has no such principal;
- the clocks of this computer and the domain differ by more than five minutes.

(A computer that cannot find the realm's KDC at all is said plainly too.) The texts were checked against
pyspnego with MIT Kerberos: with no ticket cache it raises `NoCredentialError` "... No Kerberos credentials
available (default cache: ...)", and with a password but no reachable KDC the `krb5` library raises
`Krb5Error` "Cannot find KDC for realm ...".
"""

from __future__ import annotations

import importlib.util
import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING

from hvgui.domain.errors import HvGuiError, KerberosFailure

if TYPE_CHECKING:
    from hvgui.remoting.errors import ErrorContext

_NO_TICKET = (
    "no kerberos credentials available",
    "no credentials cache found",
    "credentials cache file",
    "ticket expired",
    "no credentials were supplied",
    "can't find client principal",
)
_UNKNOWN_SPN = (
    "server not found in kerberos database",
    "not found in kerberos database",
    "kdc_err_s_principal_unknown",
)
_NO_KDC = ("cannot find kdc for realm", "cannot contact any kdc")
_CLOCK_SKEW = ("clock skew too great", "krb_ap_err_skew", "kdc_err_skew")


def kerberos_available() -> bool:
    """Whether Kerberos can be used here: pyspnego needs the `gssapi` library (pypsrp's kerberos extra)."""
    return importlib.util.find_spec("gssapi") is not None


def negotiate_note() -> str:
    """What Negotiate means on this computer, as the connect dialog says it."""
    if kerberos_available():
        return "Negotiate uses Kerberos when you have a ticket (kinit) and the host is in the domain, else NTLM."
    return "Negotiate means NTLM on this computer (Kerberos support is not installed)."


def kerberos_failure(exc: BaseException, context: ErrorContext) -> HvGuiError | None:
    """The error for a Kerberos failure anywhere in `exc`'s chain, or None when it is not one."""
    texts = [f"{type(error).__name__}: {error}".lower() for error in _chain(exc) if _is_security_error(error)]
    if not texts:
        return None
    text = " ".join(texts)
    host = context.settings.host
    if any(marker in text for marker in _CLOCK_SKEW):
        return KerberosFailure(
            f"Kerberos refused the sign-in to {context.endpoint}: this computer's clock differs from the "
            "domain's by more than five minutes.",
            hint="Set the clock right (or sync it with the domain's time, e.g. with chrony or ntpdate), then "
            "run `kinit` again.",
        )
    if any(marker in text for marker in _NO_KDC):
        return KerberosFailure(
            f"This computer cannot find a domain controller (KDC) for the Kerberos realm of {context.endpoint}.",
            hint="Check the realm in /etc/krb5.conf (default_realm, and dns_lookup_kdc = true or a kdc line) and "
            "that the domain's DNS is this computer's DNS; `kinit user@REALM` fails the same way until it works.",
        )
    if any(marker in text for marker in _UNKNOWN_SPN):
        if _is_ip_address(host):
            hint = (
                f"Kerberos needs the host's name, not its IP address {host}: connect by the name the domain "
                "knows (its fully qualified name), or choose NTLM for this host."
            )
        else:
            hint = (
                f"Connect by the host's fully qualified name as the domain knows it (not an alias of {host}), "
                "and check that `kvno HTTP/<that name>` gets a ticket; or choose NTLM for this host."
            )
        return KerberosFailure(
            f"The domain has no Kerberos service name (SPN) for {host!r}.",
            hint=hint,
        )
    if any(marker in text for marker in _NO_TICKET):
        user = context.settings.username or "you"
        return KerberosFailure(
            f"There is no Kerberos ticket on this computer to sign in to {context.endpoint}.",
            hint=f"Run `kinit {user}` (for example `kinit admin@EXAMPLE.COM`) and check it with `klist`, or give "
            "a password and choose NTLM.",
        )
    return None


def _is_security_error(error: BaseException) -> bool:
    module = type(error).__module__ or ""
    return module.startswith(("spnego", "gssapi", "krb5"))


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = (current.__cause__, current.__context__, getattr(current, "base_error", None), *current.args)
        pending.extend(error for error in nested if isinstance(error, BaseException))
