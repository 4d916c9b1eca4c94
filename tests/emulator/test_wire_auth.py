"""The emulator's authentication, end to end with the real pypsrp client: every method it speaks, over HTTP
and HTTPS, and the answers a real WinRM service gives to wrong credentials and a tampered sealed message."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import spnego
from pypsrp.encryption import WinRMEncryption
from pypsrp.exceptions import AuthenticationError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.emulator.endpoints import Endpoint
from hvgui.emulator.server import RunningEmulator, start_hosts
from hvgui.emulator.wsman.auth import NtlmUserStore, parse_auth_list

USER, PASSWORD = "auth-admin", "Pa ss;word1"
IDENTIFY = (
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    b'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
    b"<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>"
)


@pytest.fixture
def serve(wire_kit: Any) -> Iterator[Callable[..., RunningEmulator]]:
    running: list[RunningEmulator] = []

    def start(auth: str, *, tls: bool = False) -> RunningEmulator:
        emulator = start_hosts([wire_kit.runtime()], tls=tls, username=USER, password=PASSWORD, auth=auth)
        running.append(emulator)
        return emulator

    yield start
    for emulator in running:
        emulator.close()


def echo(endpoint: Endpoint, **options: Any) -> list[str]:
    """Open a pool with pypsrp and run Write-Output: the whole WS-Man/PSRP exchange under one logon."""
    settings: dict[str, Any] = {
        "port": endpoint.port,
        "username": USER,
        "password": PASSWORD,
        "ssl": endpoint.use_https,
        "cert_validation": endpoint.ca_file or False,
        "connection_timeout": 5,
        "read_timeout": 30,
    }
    settings.update(options)
    with WSMan(endpoint.address, **settings) as wsman, RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Output").add_argument("sealed hello")
        return [str(item) for item in ps.invoke()]


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
@pytest.mark.parametrize(
    ("offered", "client"),
    [("negotiate", "negotiate"), ("negotiate", "ntlm"), ("ntlm", "ntlm"), ("ntlm", "negotiate")],
)
def test_negotiate_and_ntlm_work_end_to_end(serve: Any, offered: str, client: str, tls: bool) -> None:
    endpoint = serve(offered, tls=tls).endpoints[0]
    assert endpoint.auth == (offered,)
    # Over HTTP pypsrp seals every message (encryption="auto"); over HTTPS NTLM is bound to the certificate.
    assert echo(endpoint, auth=client) == ["sealed hello"]


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_basic_works_when_enabled(serve: Any, tls: bool) -> None:
    endpoint = serve("basic", tls=tls).endpoints[0]
    assert echo(endpoint, auth="basic", encryption="auto" if tls else "never") == ["sealed hello"]


def test_a_host_with_negotiate_and_basic_takes_either(serve: Any) -> None:
    endpoint = serve("negotiate,basic").endpoints[0]
    assert endpoint.auth == ("negotiate", "basic")
    assert echo(endpoint, auth="negotiate") == ["sealed hello"]
    assert echo(endpoint, auth="basic", encryption="never") == ["sealed hello"]


def _first_401(endpoint: Endpoint) -> requests.Response:
    response = requests.post(endpoint.url, data=IDENTIFY, headers={"Content-Type": "application/soap+xml"}, timeout=5)
    assert response.status_code == 401
    return response


def test_the_401_offers_what_a_windows_host_offers(serve: Any) -> None:
    negotiate = _first_401(serve("negotiate").endpoints[0])
    assert negotiate.raw.headers.getlist("WWW-Authenticate") == ["Negotiate", "Kerberos"]
    assert negotiate.content == b"" and negotiate.headers["Server"] == "Microsoft-HTTPAPI/2.0"
    both = _first_401(serve("negotiate,basic").endpoints[0])
    assert both.raw.headers.getlist("WWW-Authenticate") == ["Negotiate", "Kerberos", 'Basic realm="WSMAN"']


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_wrong_password_and_an_unknown_user_are_refused_with_a_401(serve: Any, tls: bool) -> None:
    emulator = serve("negotiate", tls=tls)
    endpoint = emulator.endpoints[0]
    with pytest.raises(AuthenticationError, match="Failed to authenticate the user auth-admin with negotiate"):
        echo(endpoint, auth="negotiate", password="not-the-password")
    with pytest.raises(AuthenticationError, match="Failed to authenticate the user somebody-else"):
        echo(endpoint, auth="negotiate", username="somebody-else")
    assert emulator.server("HV-WIRE-01").service.rejected_logins == 2


def test_basic_is_refused_when_the_host_has_only_negotiate(serve: Any) -> None:
    endpoint = serve("negotiate").endpoints[0]
    with pytest.raises(AuthenticationError):
        echo(endpoint, auth="basic", encryption="never")
    with pytest.raises(AuthenticationError, match="actual: 'Basic realm=\"WSMAN\"'"):
        echo(serve("basic").endpoints[0], auth="negotiate")


def test_unencrypted_soap_over_http_is_refused_even_after_a_negotiate_logon(serve: Any) -> None:
    """A real host's AllowUnencrypted is false: plain-text SOAP over HTTP gets a 401 whatever the logon."""
    endpoint = serve("negotiate").endpoints[0]
    with pytest.raises(AuthenticationError):
        echo(endpoint, auth="negotiate", encryption="never")


class _SealedSession:
    """A Negotiate logon and sealed requests on one connection, built from the pieces pypsrp uses."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.url = endpoint.url
        self.http = requests.Session()
        self.context = spnego.client(
            USER,
            PASSWORD,
            hostname=endpoint.address,
            protocol="negotiate",
            options=spnego.NegotiateOptions.wrapping_winrm,
        )
        token = self.context.step()
        while not self.context.complete:
            response = self.http.post(
                self.url, headers={"Authorization": "Negotiate " + base64.b64encode(token).decode()}
            )
            challenge = response.headers.get("WWW-Authenticate", "")
            if challenge.startswith("Negotiate "):
                token = self.context.step(base64.b64decode(challenge.split(" ", 1)[1]))
        assert response.status_code == 200  # the logon's empty POST
        self.encryption = WinRMEncryption(self.context, WinRMEncryption.SPNEGO)

    def post(self, body: bytes, *, tamper: bool = False) -> requests.Response:
        content_type, payload = self.encryption.wrap_message(body)
        if tamper:  # flip one bit of the sealed envelope, as a meddling proxy would
            index = len(payload) - 40
            payload = payload[:index] + bytes([payload[index] ^ 0x01]) + payload[index + 1 :]
        headers = {"Content-Type": f'{content_type};protocol="{WinRMEncryption.SPNEGO}";boundary="Encrypted Boundary"'}
        return self.http.post(self.url, data=payload, headers=headers)


def test_a_sealed_request_gets_a_sealed_answer_and_a_tampered_one_a_400(serve: Any) -> None:
    endpoint = serve("negotiate").endpoints[0]
    session = _SealedSession(endpoint)
    answer = session.post(IDENTIFY)
    assert answer.headers["Content-Type"].startswith("multipart/encrypted;")
    assert b"Envelope" not in answer.content  # nothing readable on the wire
    plain = session.encryption.unwrap_message(answer.content, "Encrypted Boundary")
    assert plain.startswith(b"<s:Envelope") and b"MessageID" in plain  # the service read the envelope and answered
    refused = session.post(IDENTIFY, tamper=True)
    assert (refused.status_code, refused.content) == (400, b"")
    assert refused.headers.get("Connection", "").lower() == "close"  # the logon is gone with the connection


def test_auth_lists_and_the_process_wide_ntlm_user_store() -> None:
    assert parse_auth_list("basic, Negotiate") == ("negotiate", "basic")
    with pytest.raises(ValueError, match="unknown authentication method 'digest'"):
        parse_auth_list("digest")
    NtlmUserStore.add("store-user", "one")
    try:
        with pytest.raises(ValueError, match="another password"):
            NtlmUserStore.add("STORE-USER", "two")
    finally:
        NtlmUserStore.remove("store-user")


def test_a_remote_listener_says_what_it_exposes() -> None:
    from hvgui.emulator.server import exposure_warning

    assert exposure_warning("127.0.0.1", 5985, use_https=False) is None
    assert exposure_warning("::1", 5985, use_https=False) is None
    wildcard = exposure_warning("0.0.0.0", 5985, use_https=False)
    assert wildcard is not None and "every network interface of this machine (0.0.0.0)" in wildcard
    assert "port 5985 is exposed" in wildcard and ":5985/wsman" in wildcard
    named = exposure_warning("192.0.2.7", 5986, use_https=True)
    assert named is not None and "https://192.0.2.7:5986/wsman" in named and "knows the password" in named


def test_a_client_may_seal_over_https_too(serve: Any) -> None:
    """pypsrp's encryption="always" seals over TLS as well; a Windows host opens such bodies."""
    endpoint = serve("negotiate", tls=True).endpoints[0]
    assert echo(endpoint, auth="ntlm", encryption="always") == ["sealed hello"]
