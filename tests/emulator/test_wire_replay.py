"""Raw WS-Man exchanges compared with what a Windows host does.

Each recorded request (see `recorded/README.md`) is sent as is to the emulator; every reply must have
the same action, the same PSRP message types in the same order, and the same command state as the
recorded Windows reply to that request. Hand-written Receives then check what the recordings show
about long-polling, the TimedOut fault, the absence of PipelineState=Running and envelope sizes.
"""

from __future__ import annotations

import base64
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests
import yaml
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvgui.emulator.endpoints import Endpoint

RECORDED = Path(__file__).parent / "recorded"
SOAP = "http://www.w3.org/2003/05/soap-envelope"
ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"

MESSAGE_TYPES = {
    0x00010002: "SESSION_CAPABILITY",
    0x00010004: "INIT_RUNSPACEPOOL",
    0x00021004: "RUNSPACE_AVAILABILITY",
    0x00021005: "RUNSPACEPOOL_STATE",
    0x00021006: "CREATE_PIPELINE",
    0x00021009: "APPLICATION_PRIVATE_DATA",
    0x00041004: "PIPELINE_OUTPUT",
    0x00041005: "ERROR_RECORD",
    0x00041006: "PIPELINE_STATE",
    0x00041009: "WARNING_RECORD",
    0x00041010: "PROGRESS_RECORD",
}


def _messages(envelope: ET.Element) -> list[tuple[str, bytes]]:
    """(type name, message body) of every message that starts in the reply's streams."""
    found = []
    for stream in envelope.iter(f"{{{SHELL}}}Stream"):
        data = base64.b64decode(stream.text or "")
        while data:
            _, _, flags, length = struct.unpack(">QQBI", data[:21])
            fragment, data = data[21 : 21 + length], data[21 + length :]
            if flags & 1:
                kind = struct.unpack("<I", fragment[4:8])[0]
                found.append((MESSAGE_TYPES.get(kind, hex(kind)), fragment[40:]))
    return found


def _summary(xml: str, ignore: frozenset[str]) -> tuple[str, list[str], str | None]:
    """(reply action or fault subcode, PSRP message types, command state) of a reply envelope."""
    envelope = ET.fromstring(xml)
    action = (envelope.findtext(f"{{{SOAP}}}Header/{{{ADDRESSING}}}Action") or "").rsplit("/", 1)[-1]
    subcode = envelope.findtext(f".//{{{SOAP}}}Subcode/{{{SOAP}}}Value")
    if subcode:
        action = f"fault {subcode}"
    state = envelope.find(f".//{{{SHELL}}}CommandState")
    types = [name for name, _ in _messages(envelope) if name not in ignore]
    return action, types, state.get("State", "").rsplit("/", 1)[-1] if state is not None else None


def _availability_answers(xml: str) -> list[str]:
    """The SetMinMaxRunspacesResponse values (`1`, `true`, ...) of the RUNSPACE_AVAILABILITY messages."""
    answers = []
    for name, body in _messages(ET.fromstring(xml)):
        if name == "RUNSPACE_AVAILABILITY":
            root = ET.fromstring(body.decode("utf-8-sig"))
            answers += [e.text or "" for e in root.iter() if e.get("N") == "SetMinMaxRunspacesResponse"]
    return answers


def _receive_request(
    shell_id: str, command_id: str, message_id: str, timeout: str = "PT10S", max_envelope: int = 512000
) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{SOAP}" xmlns:a="{ADDRESSING}" '
        f'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="{SHELL}"><s:Header>'
        f"<a:Action>{SHELL}/Receive</a:Action><a:MessageID>{message_id}</a:MessageID>"
        "<w:ResourceURI>http://schemas.microsoft.com/powershell/Microsoft.PowerShell</w:ResourceURI>"
        f"<w:MaxEnvelopeSize>{max_envelope}</w:MaxEnvelopeSize><w:OperationTimeout>{timeout}</w:OperationTimeout>"
        f'<w:SelectorSet><w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet></s:Header>'
        f'<s:Body><rsp:Receive><rsp:DesiredStream CommandId="{command_id}">stdout</rsp:DesiredStream>'
        "</rsp:Receive></s:Body></s:Envelope>"
    ).encode()


def _replay(name: str, endpoint: Endpoint) -> list[tuple[str, str]]:
    """Send every recorded request of a flow; (recorded reply, emulator reply) pairs."""
    flow = yaml.safe_load((RECORDED / name).read_text(encoding="utf-8"))
    pairs = []
    with requests.Session() as session:
        session.auth = (endpoint.username, endpoint.password)
        for exchange in flow["messages"]:
            response = session.post(
                endpoint.url,
                data=exchange["request"].encode("utf-8"),
                headers={"Content-Type": "application/soap+xml;charset=UTF-8"},
                timeout=30,
            )
            pairs.append((exchange["response"], response.text))
    return pairs


@pytest.mark.parametrize(
    ("flow", "ignore"),
    [
        ("test_psrp_open_runspace.yml", frozenset()),
        ("test_psrp_multiple_invocations.yml", frozenset()),
        # Windows reported "Preparing modules for first use." before running the script: a first-run
        # artefact of that host's module cache, not part of the protocol exchange.
        ("test_psrp_error_failed.yml", frozenset({"PROGRESS_RECORD"})),
        ("test_psrp_set_runspaces.yml", frozenset()),
    ],
)
def test_replies_carry_the_same_psrp_messages_as_windows(
    wire_endpoint: Endpoint, flow: str, ignore: frozenset[str]
) -> None:
    pairs = _replay(flow, wire_endpoint)
    assert pairs
    for index, (recorded, emulated) in enumerate(pairs):
        assert _summary(emulated, frozenset()) == _summary(recorded, ignore), f"reply {index} of {flow}"


def test_runspace_availability_answers_match_windows(wire_endpoint: Endpoint) -> None:
    pairs = _replay("test_psrp_set_runspaces.yml", wire_endpoint)
    recorded = [answer for windows, _ in pairs for answer in _availability_answers(windows)]
    emulated = [answer for _, ours in pairs for answer in _availability_answers(ours)]
    assert recorded == ["1", "true", "5", "true", "false", "false"]
    assert emulated == recorded


def test_failed_pipeline_state_carries_the_windows_error_record(wire_endpoint: Endpoint) -> None:
    pairs = _replay("test_psrp_error_failed.yml", wire_endpoint)
    states = [body for _, ours in pairs for name, body in _messages(ET.fromstring(ours)) if name == "PIPELINE_STATE"]
    (state,) = states
    root = ET.fromstring(state.decode("utf-8-sig"))
    properties = {e.get("N"): e.text for e in root.iter() if e.get("N")}
    assert properties["PipelineState"] == "5"
    assert properties["FullyQualifiedErrorId"] == "Microsoft.PowerShell.Commands.WriteErrorException"
    assert properties["ErrorCategory_Message"] == "NotSpecified: (:) [Write-Error], WriteErrorException"
    assert properties["Message"] == "error"
    type_names = [t.text for t in root.iter("T")]
    assert type_names[:4] == [
        "System.Management.Automation.ErrorRecord",
        "System.Object",
        "Microsoft.PowerShell.Commands.WriteErrorException",
        "System.SystemException",
    ]


def test_a_slow_pipeline_never_reports_running(wire_endpoint: Endpoint) -> None:
    """Windows sends no PipelineState=Running; a Receive on a slow pipeline gets output and the end only."""
    wsman = WSMan(
        wire_endpoint.address,
        port=wire_endpoint.port,
        username=wire_endpoint.username,
        password=wire_endpoint.password,
        ssl=False,
        auth="basic",
        encryption="never",
    )
    with wsman, RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Start-Sleep").add_parameter("Milliseconds", 400)
        ps.begin_invoke()
        body = _receive_request(pool.shell.id, str(ps.id).upper(), "uuid:0A9B6E1C-0000-4000-8000-000000000001")
        response = requests.post(
            wire_endpoint.url,
            data=body,
            auth=(wire_endpoint.username, wire_endpoint.password),
            headers={"Content-Type": "application/soap+xml;charset=UTF-8"},
            timeout=15,
        )
        summary = _summary(response.text, frozenset())
        assert summary == ("ReceiveResponse", ["PIPELINE_OUTPUT", "PIPELINE_STATE"], "Done")
        (state,) = [b for n, b in _messages(ET.fromstring(response.text)) if n == "PIPELINE_STATE"]
        assert b'<I32 N="PipelineState">4</I32>' in state


def test_receive_without_data_ends_in_the_timed_out_fault(wire_endpoint: Endpoint) -> None:
    wsman = WSMan(
        wire_endpoint.address,
        port=wire_endpoint.port,
        username=wire_endpoint.username,
        password=wire_endpoint.password,
        ssl=False,
        auth="basic",
        encryption="never",
    )
    with wsman, RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Start-Sleep").add_parameter("Seconds", 5)
        ps.begin_invoke()
        body = _receive_request(pool.shell.id, str(ps.id).upper(), "uuid:0A9B6E1C-0000-4000-8000-000000000002", "PT1S")
        response = requests.post(
            wire_endpoint.url,
            data=body,
            auth=(wire_endpoint.username, wire_endpoint.password),
            headers={"Content-Type": "application/soap+xml;charset=UTF-8"},
            timeout=15,
        )
        ps.stop()
    assert response.status_code == 500
    envelope = ET.fromstring(response.text)
    assert (
        envelope.findtext(f"{{{SOAP}}}Header/{{{ADDRESSING}}}RelatesTo") == "uuid:0A9B6E1C-0000-4000-8000-000000000002"
    )
    assert _summary(response.text, frozenset())[0] == "fault w:TimedOut"
    assert envelope.findtext(f".//{{{SOAP}}}Code/{{{SOAP}}}Value") == "s:Receiver"
    fault = envelope.find(".//{http://schemas.microsoft.com/wbem/wsman/1/wsmanfault}WSManFault")
    assert fault is not None and fault.get("Code") == "2150858793"


def test_replies_never_exceed_the_envelope_size_the_client_allows(wire_endpoint: Endpoint) -> None:
    wsman = WSMan(
        wire_endpoint.address,
        port=wire_endpoint.port,
        username=wire_endpoint.username,
        password=wire_endpoint.password,
        ssl=False,
        auth="basic",
        encryption="never",
    )
    big = "y" * 300_000
    with wsman, RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Write-Output").add_argument(big).add_argument("tail")
        ps.begin_invoke()
        fragments = b""
        for number in range(20):
            body = _receive_request(
                pool.shell.id, str(ps.id).upper(), f"uuid:00000000-0000-4000-8000-{number:012d}", max_envelope=65536
            )
            response = requests.post(
                wire_endpoint.url,
                data=body,
                auth=(wire_endpoint.username, wire_endpoint.password),
                headers={"Content-Type": "application/soap+xml;charset=UTF-8"},
                timeout=15,
            )
            assert response.status_code == 200
            assert len(response.content) <= 65536
            envelope = ET.fromstring(response.text)
            fragments += b"".join(base64.b64decode(s.text or "") for s in envelope.iter(f"{{{SHELL}}}Stream"))
            if _summary(response.text, frozenset())[2] == "Done":
                break
        assert number >= 4  # 300 KB of output needed several replies
    messages = []
    while fragments:
        _, _, flags, length = struct.unpack(">QQBI", fragments[:21])
        if flags & 1:
            messages.append(b"")
        messages[-1] += fragments[21 : 21 + length]
        fragments = fragments[21 + length :]
    types = [MESSAGE_TYPES[struct.unpack("<I", m[4:8])[0]] for m in messages]
    assert types == ["PIPELINE_OUTPUT", "PIPELINE_OUTPUT", "PIPELINE_STATE"]
    assert messages[0][40:].decode("utf-8-sig") == f"<S>{big}</S>"
