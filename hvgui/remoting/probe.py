"""Test connection: reach a host once with the settings a person typed and report what it is, before saving it.

The probe opens its own runspace pool on a worker thread (the window's sessions are not touched), reads the
host's PowerShell version table (sent when the pool opens), runs `Get-VMHost` twice (the second run times
one round trip) and `Get-VM` (how many VMs), and, over HTTPS, shakes hands once more to describe the TLS
connection and the certificate. Every failure is the same `HvGuiError` a session would report.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.domain.connection import AuthMethod, ConnectionSettings
from hvgui.domain.errors import HvGuiError
from hvgui.remoting.connection import wsman_options
from hvgui.remoting.errors import ErrorContext, host_command_error, map_exception

#: Windows builds a Hyper-V host may run, by build number (the third part of BuildVersion).
_WINDOWS_BUILDS = {
    14393: "Windows Server 2016",
    17763: "Windows Server 2019",
    20348: "Windows Server 2022",
    26100: "Windows Server 2025",
}

_AUTH_NAMES = {
    AuthMethod.Negotiate: "Negotiate",
    AuthMethod.Ntlm: "NTLM",
    AuthMethod.Kerberos: "Kerberos",
    AuthMethod.CredSsp: "CredSSP",
    AuthMethod.Basic: "Basic",
}


@dataclass(frozen=True)
class ConnectionReport:
    """What Test connection shows."""

    host_name: str
    os: str
    hyperv_version: str
    vm_count: int
    authentication: str
    tls: str
    round_trip_ms: float

    def lines(self) -> list[tuple[str, str]]:
        return [
            ("Host", self.host_name),
            ("Operating system", self.os),
            ("Hyper-V", self.hyperv_version),
            ("Virtual machines", str(self.vm_count)),
            ("Authentication", self.authentication),
            ("Transport", self.tls),
            ("Round trip", f"{self.round_trip_ms:.0f} ms"),
        ]


async def test_connection(
    settings: ConnectionSettings, password: str, *, connect_timeout: float = 10.0, operation_timeout: float = 30.0
) -> ConnectionReport:
    """Reach the host once and describe it; raises the `HvGuiError` a session would show."""
    return await asyncio.to_thread(_probe, settings, password, connect_timeout, operation_timeout)


def _probe(settings: ConnectionSettings, password: str, connect_timeout: float, operation_timeout: float):
    options = wsman_options(settings, password, connect_timeout=connect_timeout, operation_timeout=operation_timeout)
    context = ErrorContext(settings, connect_timeout, float(options["read_timeout"]))
    try:
        with WSMan(**options) as wsman, RunspacePool(wsman, max_runspaces=1) as pool:
            version_table = _version_table(pool.application_private_data)
            host = _run(pool, "Get-VMHost")
            started = time.perf_counter()
            _run(pool, "Get-VMHost")
            round_trip = (time.perf_counter() - started) * 1000
            vms = _run(pool, "Get-VM", allow_empty=True)
            tls = _describe_tls(settings, connect_timeout) if settings.use_https else _plain_http(settings)
    except HvGuiError:
        raise
    except Exception as exc:
        raise map_exception(exc, context) from exc
    props = _properties(host[0])
    return ConnectionReport(
        host_name=str(props.get("Name") or settings.host),
        os=_os_text(version_table),
        hyperv_version=_hyperv_text(props),
        vm_count=len(vms),
        authentication=_auth_text(settings),
        tls=tls,
        round_trip_ms=round_trip,
    )


def _run(pool: RunspacePool, cmdlet: str, *, allow_empty: bool = False) -> list[Any]:
    ps = PowerShell(pool)
    ps.add_cmdlet(cmdlet)
    output = ps.invoke()
    if ps.had_errors and not output and not allow_empty:
        raise host_command_error(ps.streams.error[0], cmdlet)
    return list(output)


def _properties(obj: Any) -> dict[str, Any]:
    props = {}
    for source in ("adapted_properties", "extended_properties"):
        props.update(getattr(obj, source, {}) or {})
    return props


def _version_table(private_data: Any) -> dict[str, Any]:
    data = getattr(private_data, "data", None) or {}
    table = data.get("PSVersionTable") if isinstance(data, dict) else None
    return table if isinstance(table, dict) else {}


def _os_text(table: dict[str, Any]) -> str:
    build = str(table.get("BuildVersion") or "")
    parts = build.split(".")
    name = _WINDOWS_BUILDS.get(int(parts[2])) if len(parts) > 2 and parts[2].isdigit() else None
    powershell = f"PowerShell {table['PSVersion']}" if table.get("PSVersion") else ""
    described = f"{name or 'Windows'} (build {build})" if build else "unknown"
    return f"{described}, {powershell}" if powershell else described


def _hyperv_text(props: dict[str, Any]) -> str:
    items = _strings(props.get("SupportedVmVersions"))
    if not items:
        return "unknown"

    def number(text: str) -> tuple[int, ...]:
        return tuple(int(p) for p in text.split(".") if p.isdigit())

    return f"VM configuration versions up to {max(items, key=number)}"


def _strings(value: Any) -> list[str]:
    """A list of strings as pypsrp gives it: a list, or (for a typed read-only collection) an object that
    keeps the `<LST>` XML in `property_sets`."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    found: list[str] = []
    for xml in getattr(value, "property_sets", None) or []:
        try:
            found.extend(e.text or "" for e in ElementTree.fromstring(xml).iter("S"))
        except ElementTree.ParseError:
            continue
    return found


def _auth_text(settings: ConnectionSettings) -> str:
    name = _AUTH_NAMES[settings.auth]
    user = f" as {settings.username}" if settings.username else " with the current ticket"
    if settings.use_https:
        return f"{name}{user}, inside TLS"
    if settings.auth is AuthMethod.Basic:
        return f"{name}{user}, unencrypted"
    return f"{name}{user}, with message encryption"


def _plain_http(settings: ConnectionSettings) -> str:
    return f"HTTP on port {settings.port} (no TLS)"


def _describe_tls(settings: ConnectionSettings, timeout: float) -> str:
    """The TLS version, cipher and certificate fingerprint of one handshake with the listener."""
    context = ssl.create_default_context(cafile=settings.ca_file) if settings.verify_certificate else None
    if context is None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((settings.host, settings.port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=settings.host) as tls,
    ):
        der = tls.getpeercert(binary_form=True) or b""
        cipher = tls.cipher()
        version = tls.version() or "TLS"
    fingerprint = hashlib.sha256(der).hexdigest().upper()
    pairs = [fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)]
    pretty = " ".join(":".join(pairs[i : i + 8]) for i in range(0, len(pairs), 8))  # wraps in a window
    checked = "certificate verified" if settings.verify_certificate else "certificate NOT verified"
    return f"{version}, {cipher[0] if cipher else 'unknown cipher'}, {checked}, SHA-256 {pretty}"
