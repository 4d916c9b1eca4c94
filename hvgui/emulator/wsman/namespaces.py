"""XML namespaces, action URIs and resource URIs of WS-Management as a Windows host speaks it."""

from __future__ import annotations

SOAP = "http://www.w3.org/2003/05/soap-envelope"
ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
WSMV = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
CONFIG = "http://schemas.microsoft.com/wbem/wsman/1/config"
WSMAN_FAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
POWERSHELL = "http://schemas.microsoft.com/powershell"
XML = "http://www.w3.org/XML/1998/namespace"

ANONYMOUS = ADDRESSING + "/role/anonymous"

#: Prefixes a Windows host declares on every response envelope (copied from recorded WinRM replies).
RESPONSE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("s", SOAP),
    ("a", ADDRESSING),
    ("x", TRANSFER),
    ("w", WSMAN),
    ("rsp", SHELL),
    ("p", WSMV),
)


def qname(namespace: str, local: str) -> str:
    """ElementTree's `{namespace}local` spelling, for finding elements in a parsed request."""
    return f"{{{namespace}}}{local}"


class Action:
    """The `wsa:Action` URIs the emulator answers, and their replies."""

    CREATE = TRANSFER + "/Create"
    CREATE_RESPONSE = TRANSFER + "/CreateResponse"
    DELETE = TRANSFER + "/Delete"
    DELETE_RESPONSE = TRANSFER + "/DeleteResponse"
    GET = TRANSFER + "/Get"
    GET_RESPONSE = TRANSFER + "/GetResponse"
    COMMAND = SHELL + "/Command"
    COMMAND_RESPONSE = SHELL + "/CommandResponse"
    SEND = SHELL + "/Send"
    SEND_RESPONSE = SHELL + "/SendResponse"
    RECEIVE = SHELL + "/Receive"
    RECEIVE_RESPONSE = SHELL + "/ReceiveResponse"
    SIGNAL = SHELL + "/Signal"
    SIGNAL_RESPONSE = SHELL + "/SignalResponse"
    WSMAN_FAULT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
    ADDRESSING_FAULT = ADDRESSING + "/fault"


class ResourceUri:
    """Resource URIs: a PowerShell session configuration, the generic shell resource and the WinRM config."""

    POWERSHELL_PREFIX = "http://schemas.microsoft.com/powershell/"
    SHELL = SHELL
    CONFIG = CONFIG


class Signal:
    """Signal codes. PowerShell clients stop a pipeline with one of the ctrl_c spellings."""

    TERMINATE = SHELL + "/signal/Terminate"
    STOP_CODES = frozenset(
        {
            "powershell/signal/ctrl_c",
            "powershell/signal/crtl_c",  # the spelling MS-PSRP itself uses
            SHELL + "/signal/ctrl_c",
            SHELL + "/signal/ctrl_break",
        }
    )


class CommandState:
    DONE = SHELL + "/CommandState/Done"
    RUNNING = SHELL + "/CommandState/Running"
