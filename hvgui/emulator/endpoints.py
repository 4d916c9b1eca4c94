"""Where an emulated host listens, and the line the CLI prints about it.

The CLI prints one line per host and `EmulatorProcess` reads them back, so both directions live here:
`format_listening_line` and `parse_listening_line` are inverses of each other.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from hvgui.domain.connection import AuthMethod, ConnectionSettings

LINE_PREFIX = "hvgui-emulator: "
READY_LINE = LINE_PREFIX + "ready"
#: How the CLI answers a control command (`--control`): this prefix, then the answer as JSON.
CONTROL_PREFIX = LINE_PREFIX + "control "
_LISTENING = re.compile(r"^hvgui-emulator: (?P<host>\S+) listening on (?P<url>\S+)(?P<rest>.*)$")
_URL = re.compile(r"^(?P<scheme>https?)://(?P<address>\[[^\]]+\]|[^:/]+):(?P<port>\d+)/wsman$")


@dataclass(frozen=True)
class Endpoint:
    """One emulated host as a client reaches it."""

    host_name: str
    url: str
    address: str
    port: int
    use_https: bool
    username: str
    password: str
    ca_file: str | None = None
    #: What the listener accepts (basic, ntlm, negotiate); a line without `auth=` is from a Basic-only listener.
    auth: tuple[str, ...] = ("basic",)

    @property
    def auth_method(self) -> AuthMethod:
        """What a client should use: Negotiate when the host offers it (as a real host does), else NTLM, else Basic."""
        if "negotiate" in self.auth:
            return AuthMethod.Negotiate
        if "ntlm" in self.auth:
            return AuthMethod.Ntlm
        return AuthMethod.Basic

    def connection_settings(self) -> ConnectionSettings:
        """Settings that connect to this host: its authentication, and the certificate checked against `ca_file`."""
        return ConnectionSettings(
            host=self.address,
            port=self.port,
            use_https=self.use_https,
            auth=self.auth_method,
            username=self.username,
            verify_certificate=True,
            ca_file=self.ca_file if self.use_https else None,
            display_name=self.host_name,
        )


def endpoint_url(address: str, port: int, *, use_https: bool) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{'https' if use_https else 'http'}://{host}:{port}/wsman"


def format_listening_line(endpoint: Endpoint) -> str:
    """`hvgui-emulator: HOST listening on URL user=U password=P auth=LIST [ca=PATH]` (quoted only if needed)."""
    line = (
        f"{LINE_PREFIX}{endpoint.host_name} listening on {endpoint.url} "
        f"user={shlex.quote(endpoint.username)} password={shlex.quote(endpoint.password)} "
        f"auth={','.join(endpoint.auth)}"
    )
    if endpoint.ca_file:
        line += f" ca={shlex.quote(endpoint.ca_file)}"
    return line


def parse_listening_line(line: str) -> Endpoint | None:
    """The endpoint a listening line describes, or None for any other line."""
    match = _LISTENING.match(line.rstrip("\r\n"))
    if not match:
        return None
    url_match = _URL.match(match["url"])
    if not url_match:
        return None
    fields: dict[str, str] = {}
    for token in shlex.split(match["rest"]):
        key, sep, value = token.partition("=")
        if sep:
            fields[key] = value
    return Endpoint(
        host_name=match["host"],
        url=match["url"],
        address=url_match["address"].strip("[]"),
        port=int(url_match["port"]),
        use_https=url_match["scheme"] == "https",
        username=fields.get("user", ""),
        password=fields.get("password", ""),
        ca_file=fields.get("ca"),
        auth=tuple(name for name in fields.get("auth", "basic").split(",") if name),
    )
