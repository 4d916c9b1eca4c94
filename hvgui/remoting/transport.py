"""The pypsrp `WSMan` hvgui talks through, with two things pypsrp does not do by itself.

- **Certificate pinning.** A host whose certificate the admin trusted by its SHA-256 fingerprint (no CA
  vouches for it) is reached with chain checking off and the fingerprint checked instead, on the very TLS
  connection pypsrp uses: urllib3's `assert_fingerprint` on the session's HTTPS pool manager, so every
  connection, including reconnects, is checked before a byte of the request (or a credential) is sent.
- **What the host offered.** pypsrp reports a refused logon as "Failed to authenticate" whatever the cause.
  A response hook records the `WWW-Authenticate` schemes of every 401, so a method the listener does not
  offer (Basic against a host with only Negotiate) is told apart from a wrong password.
"""

from __future__ import annotations

import threading
from typing import Any

from pypsrp.wsman import WSMan

#: The 401 schemes that can carry each client choice (pypsrp's negotiate auth also takes Kerberos and NTLM).
SCHEMES_FOR_METHOD = {
    "basic": ("basic",),
    "negotiate": ("negotiate", "kerberos", "ntlm"),
    "ntlm": ("negotiate", "ntlm"),
    "kerberos": ("negotiate", "kerberos"),
    "credssp": ("credssp",),
}


class ChallengeLog:
    """The authentication schemes the host offered in its last 401 (thread-safe; read after a failure)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offered: tuple[str, ...] = ()

    @property
    def offered(self) -> tuple[str, ...]:
        with self._lock:
            return self._offered

    def record(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        """A requests response hook."""
        if getattr(response, "status_code", None) == 401:
            raw = getattr(response, "raw", None)
            headers = getattr(raw, "headers", None)
            values = headers.getlist("WWW-Authenticate") if hasattr(headers, "getlist") else []
            if not values:
                values = [response.headers.get("WWW-Authenticate", "")]
            with self._lock:
                self._offered = offered_schemes(values)
        return response


def offered_schemes(header_values: list[str]) -> tuple[str, ...]:
    """Scheme names of `WWW-Authenticate` values, without tokens or realms: ("Negotiate", "Kerberos")."""
    schemes: list[str] = []
    for value in header_values:
        for part in value.split(","):
            word = part.strip().split(" ", 1)[0].strip()
            if word and "=" not in word and word not in schemes:
                schemes.append(word)
    return tuple(schemes)


def method_offered(method: str, offered: tuple[str, ...]) -> bool:
    """Whether a 401 offering `offered` lets the client authenticate with `method` at all."""
    wanted = SCHEMES_FOR_METHOD.get(method, (method,))
    return any(scheme.lower() in wanted for scheme in offered)


def open_wsman(
    options: dict[str, Any], *, pinned_sha256: str | None = None, challenges: ChallengeLog | None = None
) -> WSMan:
    """A pypsrp WSMan for `options` (see `wsman_options`), pinned and watched as asked.

    With `pinned_sha256` the options must turn chain checking off (`cert_validation=False`): the pin is
    the check. pypsrp builds its requests session lazily; it is built here so the pin and the hook are on
    it before the first request.

    pypsrp reads the environment's proxy settings (`HTTP_PROXY`, `NO_PROXY`, ...) for the host's address
    when it builds the session; requests would read the whole environment again on every request (a
    watcher's host sends several a second). The address never changes, so the session stops doing that:
    the proxies pypsrp found stay as they are.
    """
    wsman = WSMan(**options)
    transport = wsman.transport
    session = transport._build_session()  # pypsrp 0.9's own builder: same adapters, proxies and auth
    session.trust_env = False
    if pinned_sha256 is not None:
        adapter = session.get_adapter("https://")
        adapter.poolmanager.connection_pool_kw["assert_fingerprint"] = pinned_sha256.replace(":", "").lower()
    if challenges is not None:
        session.hooks["response"].append(challenges.record)
    transport.session = session
    return wsman
