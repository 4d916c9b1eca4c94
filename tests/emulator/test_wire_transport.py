"""HTTP, TLS, authentication and malformed requests: the listener side of the emulator."""

from __future__ import annotations

import base64
import socket
import struct
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from pypsrp.exceptions import AuthenticationError, WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.domain.connection import AuthMethod
from hvgui.emulator import ListenAddressRefused, RunningEmulator, start_hosts
from hvgui.emulator.certs import generate_tls_files
from hvgui.emulator.endpoints import Endpoint, format_listening_line, parse_listening_line

WSManFactory = Callable[..., WSMan]
SOAP = "http://www.w3.org/2003/05/soap-envelope"
ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
FAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
TERMINATE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/Terminate"
SOAP_HEADERS = {"Content-Type": "application/soap+xml;charset=UTF-8"}


def _envelope(
    action: str = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive",
    *,
    message_id: str | None = None,
    resource_uri: str = "http://schemas.microsoft.com/powershell/Microsoft.PowerShell",
    shell_id: str | None = None,
    body: str = "",
    extra_header: str = "",
) -> tuple[str, bytes]:
    if message_id is None:
        message_id = f"uuid:{str(uuid.uuid4()).upper()}"
    selector = f'<w:SelectorSet><w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>' if shell_id else ""
    xml = (
        f'<s:Envelope xmlns:s="{SOAP}" xmlns:a="{ADDRESSING}" '
        'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
        'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Header>'
        f"<a:Action>{action}</a:Action><a:MessageID>{message_id}</a:MessageID>"
        f"<w:ResourceURI>{resource_uri}</w:ResourceURI><w:OperationTimeout>PT1S</w:OperationTimeout>"
        f"{selector}{extra_header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )
    return message_id, xml.encode()


def _fault(response: requests.Response) -> tuple[int, str, str | None]:
    """(WSManFault code, subcode, RelatesTo) of a fault reply."""
    root = ET.fromstring(response.content)
    code = root.find(f".//{{{FAULT}}}WSManFault")
    subcode = root.find(f".//{{{SOAP}}}Subcode/{{{SOAP}}}Value")
    relates = root.find(f".//{{{ADDRESSING}}}RelatesTo")
    assert code is not None and subcode is not None
    return int(code.get("Code", "0")), subcode.text or "", relates.text if relates is not None else None


@pytest.fixture
def http_session(wire_endpoint: Endpoint) -> Iterator[requests.Session]:
    session = requests.Session()
    session.auth = (wire_endpoint.username, wire_endpoint.password)
    yield session
    session.close()


def test_tls_with_the_ca_file_verifies_the_host(tls_emulator: RunningEmulator, wsman_factory: WSManFactory) -> None:
    endpoint = tls_emulator.endpoints[0]
    assert endpoint.url.startswith("https://127.0.0.1:")
    assert endpoint.ca_file is not None
    with RunspacePool(wsman_factory(endpoint, cert_validation=endpoint.ca_file)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Output").add_argument("over tls")
        assert ps.invoke() == ["over tls"]


def test_tls_fails_against_the_system_trust_store(tls_emulator: RunningEmulator, wsman_factory: WSManFactory) -> None:
    endpoint = tls_emulator.endpoints[0]
    with pytest.raises(requests.exceptions.SSLError):
        RunspacePool(wsman_factory(endpoint, cert_validation=True)).open()
    # the listener survives a client that rejects its certificate
    with RunspacePool(wsman_factory(endpoint)) as pool:
        assert pool.is_alive()


def test_tls_handshake_happens_off_the_accept_loop(tls_emulator: RunningEmulator, wsman_factory: WSManFactory) -> None:
    endpoint = tls_emulator.endpoints[0]
    quick = wsman_factory(endpoint, operation_timeout=2, read_timeout=4)
    # a client that connects and never says hello must not hold up anyone else
    with socket.create_connection((endpoint.address, endpoint.port)), RunspacePool(quick) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Output").add_argument("served")
        assert ps.invoke() == ["served"]


def test_wrong_password_is_an_authentication_error(wire_endpoint: Endpoint, wsman_factory: WSManFactory) -> None:
    with pytest.raises(AuthenticationError):
        RunspacePool(wsman_factory(wire_endpoint, password="wrong")).open()


def test_unauthenticated_request_gets_401_with_basic_challenge(
    wire_endpoint: Endpoint, http_session: requests.Session
) -> None:
    _, body = _envelope()
    response = requests.post(wire_endpoint.url, data=body, headers=SOAP_HEADERS, timeout=5)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="WSMAN"'


@pytest.mark.parametrize(
    ("body", "expected_code"),
    [
        (b"<not xml", 2150858819),  # not well formed
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', 2150858819),
        (b"<root/>", 2150858819),  # not a SOAP envelope
    ],
)
def test_bad_xml_gets_a_fault_and_the_connection_stays_usable(
    wire_endpoint: Endpoint, http_session: requests.Session, body: bytes, expected_code: int
) -> None:
    response = http_session.post(wire_endpoint.url, data=body, headers=SOAP_HEADERS, timeout=5)
    assert response.status_code == 500
    assert _fault(response)[0] == expected_code
    _, ok = _envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
        resource_uri="http://schemas.microsoft.com/wbem/wsman/1/config",
    )
    again = http_session.post(wire_endpoint.url, data=ok, headers=SOAP_HEADERS, timeout=5)
    assert again.status_code == 200
    assert b"MaxEnvelopeSizekb>500<" in again.content


def test_fault_for_unparsable_xml_still_relates_to_a_readable_message_id(
    wire_endpoint: Endpoint, http_session: requests.Session
) -> None:
    message_id, body = _envelope()
    response = http_session.post(wire_endpoint.url, data=body[:-20], headers=SOAP_HEADERS, timeout=5)
    assert response.status_code == 500
    assert _fault(response)[2] == message_id


@pytest.mark.parametrize(
    ("kwargs", "expected_code", "expected_subcode"),
    [
        ({"action": "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"}, 2150858771, "a:ActionNotSupported"),
        ({"shell_id": "6F1903CA-E06A-4A8B-BDFC-B44203149D55"}, 2150858843, "w:InvalidSelectors"),
        (
            {"resource_uri": "http://schemas.microsoft.com/powershell/NoSuchEndpoint"},
            2150858752,
            "a:DestinationUnreachable",
        ),
        ({"extra_header": "<w:MaxEnvelopeSize>12</w:MaxEnvelopeSize>"}, 2150858823, "w:EncodingLimit"),
        (
            {"action": "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", "body": "<rsp:Shell/>"},
            2150858817,
            "w:SchemaValidationError",
        ),
    ],
)
def test_unknown_or_wrong_requests_get_winrm_faults_with_relates_to(
    wire_endpoint: Endpoint, http_session: requests.Session, kwargs: dict, expected_code: int, expected_subcode: str
) -> None:
    message_id, body = _envelope(**kwargs)
    response = http_session.post(wire_endpoint.url, data=body, headers=SOAP_HEADERS, timeout=5)
    assert response.status_code == 500
    assert _fault(response) == (expected_code, expected_subcode, message_id)


def test_missing_message_id_is_a_header_fault(wire_endpoint: Endpoint, http_session: requests.Session) -> None:
    _, body = _envelope(message_id="")
    response = http_session.post(wire_endpoint.url, data=body, headers=SOAP_HEADERS, timeout=5)
    assert response.status_code == 500
    assert _fault(response) == (2150858769, "a:MessageInformationHeaderRequired", None)


def test_negative_operation_timeout_is_rejected_like_windows(
    wire_endpoint: Endpoint, http_session: requests.Session
) -> None:
    message_id, body = _envelope(extra_header="")
    body = body.replace(b"PT1S", b"PT-1S")
    response = http_session.post(wire_endpoint.url, data=body, headers=SOAP_HEADERS, timeout=5)
    assert _fault(response) == (2150858767, "a:InvalidMessageInformationHeader", message_id)
    assert b"invalid timeout field in the SOAP header: PT-1S." in response.content


def test_bad_base64_and_bad_psrp_data_in_a_live_shell_get_faults(
    wire_endpoint: Endpoint, wsman_factory: WSManFactory, http_session: requests.Session
) -> None:
    with RunspacePool(wsman_factory(wire_endpoint)) as pool:
        shell_id = pool.shell.id
        # Well framed but out of sequence (fragment 3 of nothing), followed by the start of a message that
        # uses the object id the client will use next: the host must not keep that half message around.
        next_object_id = pool._fragmenter.outgoing_counter
        out_of_sequence = struct.pack(">QQBI", 99, 3, 2, 4) + b"abcd" + struct.pack(">QQBI", next_object_id, 0, 1, 4)
        out_of_sequence += b"abcd"
        send = '<rsp:Send><rsp:Stream Name="stdin">{}</rsp:Stream></rsp:Send>'
        command = '<rsp:CommandLine CommandId="{}"><rsp:Command/><rsp:Arguments>{}</rsp:Arguments></rsp:CommandLine>'
        cases = [
            ("Send", send.format("!!! not base64 !!!"), 2150858817),
            ("Send", send.format(base64.b64encode(b"\x00" * 30).decode()), 2150858810),
            ("Send", send.format(base64.b64encode(out_of_sequence).decode()), 2150858810),
            ("Command", command.format(str(uuid.uuid4()).upper(), base64.b64encode(b"junk").decode()), 2150858810),
            (
                "Receive",
                f'<rsp:Receive><rsp:DesiredStream CommandId="{str(uuid.uuid4()).upper()}">stdout'
                "</rsp:DesiredStream></rsp:Receive>",
                2150858843,
            ),
            (
                "Signal",
                f'<rsp:Signal CommandId="{str(uuid.uuid4()).upper()}"><rsp:Code>{TERMINATE}</rsp:Code></rsp:Signal>',
                2150858843,
            ),
        ]
        for action, body_xml, expected in cases:
            message_id, body = _envelope(
                f"http://schemas.microsoft.com/wbem/wsman/1/windows/shell/{action}", shell_id=shell_id, body=body_xml
            )
            response = http_session.post(wire_endpoint.url, data=body, headers=SOAP_HEADERS, timeout=5)
            assert response.status_code == 500, action
            assert _fault(response)[0] == expected, (action, response.text)
            assert _fault(response)[2] == message_id
        ps = PowerShell(pool)  # the pool shrugged all of that off
        ps.add_cmdlet("Write-Output").add_argument("fine")
        assert ps.invoke() == ["fine"]


def test_oversized_body_gets_a_fault_and_a_huge_one_a_413(
    wire_endpoint: Endpoint, http_session: requests.Session
) -> None:
    message_id, body = _envelope(body="<x>" + "a" * 600_000 + "</x>")
    response = http_session.post(wire_endpoint.url, data=body, headers=SOAP_HEADERS, timeout=10)
    assert response.status_code == 500
    assert _fault(response) == (2150858825, "w:EncodingLimit", message_id)

    with socket.create_connection((wire_endpoint.address, wire_endpoint.port), timeout=5) as raw:
        raw.sendall(b"POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n")
        assert raw.recv(1024).startswith(b"HTTP/1.1 413 ")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /wsman HTTP/1.1\r\nHost: x\r\n\r\n", b"405"),
        (b"POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", b"404"),
        (b"POST /wsman HTTP/1.1\r\nHost: x\r\n\r\n", b"411"),
        (b"\x16\x03\x01 garbage that is not HTTP\r\n\r\n", b"400"),
    ],
)
def test_non_soap_garbage_gets_an_http_status(wire_endpoint: Endpoint, request_bytes: bytes, status: bytes) -> None:
    with socket.create_connection((wire_endpoint.address, wire_endpoint.port), timeout=5) as raw:
        raw.sendall(request_bytes)
        assert raw.recv(4096).split(b" ", 2)[1] == status


def test_wrong_content_type_is_415(wire_endpoint: Endpoint, http_session: requests.Session) -> None:
    _, body = _envelope()
    response = http_session.post(wire_endpoint.url, data=body, headers={"Content-Type": "text/plain"}, timeout=5)
    assert response.status_code == 415


def test_chunked_request_bodies_are_read(wire_endpoint: Endpoint, http_session: requests.Session) -> None:
    _, body = _envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
        resource_uri="http://schemas.microsoft.com/wbem/wsman/1/config",
    )
    response = http_session.post(
        wire_endpoint.url, data=iter([body[:100], body[100:]]), headers=SOAP_HEADERS, timeout=5
    )
    assert response.status_code == 200


def test_keep_alive_serves_many_requests_on_one_connection(wire_endpoint: Endpoint) -> None:
    _, body = _envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
        resource_uri="http://schemas.microsoft.com/wbem/wsman/1/config",
    )
    auth = base64.b64encode(f"{wire_endpoint.username}:{wire_endpoint.password}".encode()).decode()
    request = (
        f"POST /wsman HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n"
        f"Content-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection((wire_endpoint.address, wire_endpoint.port), timeout=5) as raw:
        reader = raw.makefile("rb")
        for _ in range(3):
            raw.sendall(request)
            status = reader.readline()
            assert status.startswith(b"HTTP/1.1 200 ")
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                assert name.lower() != "connection" or "close" not in value.lower()
            assert reader.read(length).endswith(b"</s:Envelope>")


def test_stopped_host_drops_connections_and_comes_back_on_the_same_port(
    wire_emulator: RunningEmulator, wire_endpoint: Endpoint, wsman_factory: WSManFactory
) -> None:
    server = wire_emulator.server("HV-WIRE-01")
    port = server.port
    pool = RunspacePool(wsman_factory(wire_endpoint, connection_timeout=2))
    pool.open()
    server.stop()
    assert not server.running
    assert pool.is_alive() is False
    ps = PowerShell(pool)
    ps.add_cmdlet("Write-Output").add_argument("lost")
    with pytest.raises(requests.exceptions.ConnectionError):
        ps.invoke()
    with pytest.raises(OSError):
        socket.create_connection((wire_endpoint.address, port), timeout=2).close()

    server.start()
    assert server.port == port
    with RunspacePool(wsman_factory(wire_endpoint)) as again:
        ps = PowerShell(again)
        ps.add_cmdlet("Write-Output").add_argument("back")
        assert ps.invoke() == ["back"]


def test_fault_errors_reach_pypsrp_as_wsman_faults(wire_endpoint: Endpoint, wsman_factory: WSManFactory) -> None:
    wsman = wsman_factory(wire_endpoint)
    with pytest.raises(WSManFaultError) as raised:
        wsman.enumerate("http://schemas.microsoft.com/wbem/wsman/1/windows/shell", None)
    assert raised.value.code == 2150858771


def test_listen_address_must_be_loopback_unless_allowed(wire_kit) -> None:
    for address in ("0.0.0.0:0", "192.0.2.10:5985", "[::]:0", "example.com:0"):
        with pytest.raises(ListenAddressRefused, match="--allow-remote"):
            start_hosts([wire_kit.runtime()], listen=address)
    with pytest.raises(ValueError, match="HOST:PORT"):
        start_hosts([wire_kit.runtime()], listen="5985")


def test_hosts_get_consecutive_ports_from_a_given_first_port(wire_kit) -> None:
    first = _two_free_consecutive_ports()
    hosts = [wire_kit.runtime(name="HV-P1"), wire_kit.runtime(name="HV-P2")]
    with start_hosts(hosts, listen=f"127.0.0.1:{first}") as emulator:
        assert [(e.host_name, e.port) for e in emulator.endpoints] == [("HV-P1", first), ("HV-P2", first + 1)]
        assert emulator.endpoints[0].username.startswith("hvadmin-")  # generated credentials
        assert emulator.endpoints[0].password != emulator.endpoints[0].username


def _two_free_consecutive_ports() -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        return port
    raise AssertionError("no two consecutive free ports on loopback")


def test_endpoint_round_trips_through_its_printed_line_and_gives_connection_settings() -> None:
    endpoint = Endpoint("HV-01", "https://[::1]:5986/wsman", "::1", 5986, True, "u ser", "p'w d", "/tmp/my ca.pem")
    assert parse_listening_line(format_listening_line(endpoint)) == endpoint
    assert parse_listening_line("hvgui-emulator: ready") is None
    settings = endpoint.connection_settings()
    assert (settings.host, settings.port, settings.use_https) == ("::1", 5986, True)
    assert settings.auth == AuthMethod.Basic
    assert (settings.username, settings.verify_certificate, settings.ca_file) == ("u ser", True, "/tmp/my ca.pem")
    assert settings.label == "HV-01"


def test_a_given_certificate_and_key_are_served(tmp_path, wire_kit, wsman_factory: WSManFactory) -> None:
    files = generate_tls_files(str(tmp_path))  # stands in for a certificate the user brings
    emulator = start_hosts(
        [wire_kit.runtime()], cert_file=files.cert_file, key_file=files.key_file, username="u", password="p"
    )
    with emulator:
        endpoint = emulator.endpoints[0]
        assert endpoint.use_https and endpoint.ca_file is None  # the emulator knows no CA for it
        with RunspacePool(wsman_factory(endpoint, cert_validation=files.ca_file)) as pool:
            assert pool.is_alive()
    assert Path(files.cert_file).exists()  # the user's files are left alone


def test_replies_look_like_http_sys(wire_endpoint: Endpoint, http_session: requests.Session) -> None:
    _, body = _envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get",
        resource_uri="http://schemas.microsoft.com/wbem/wsman/1/config",
    )
    response = http_session.post(wire_endpoint.url, data=body, headers=SOAP_HEADERS, timeout=5)
    assert response.headers["Server"] == "Microsoft-HTTPAPI/2.0"
    assert response.headers["Content-Type"] == "application/soap+xml;charset=UTF-8"
