"""WS-Management faults shaped like the ones a Windows host returns.

A fault travels as HTTP 500 with an `s:Fault` whose subcode is a `w:`/`a:` value and whose detail holds
`f:WSManFault Code="..."`: clients key their behaviour on that numeric code (pypsrp swallows only
2150858793 while polling, and reads 2150858843 as "the shell is gone"). Codes are the ERROR_WSMAN_*
values of winerror.h; reasons are copied from recorded Windows replies where one exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from hvgui.emulator.wsman import namespaces as ns
from hvgui.emulator.wsman.xmltext import element, text_element

ERROR_WSMAN_RESOURCE_NOT_FOUND = 2150858752
ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER = 2150858767
ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED = 2150858769
ERROR_WSMAN_ACTION_NOT_SUPPORTED = 2150858771
ERROR_WSMAN_OPERATION_TIMEDOUT = 2150858793
ERROR_WSMAN_ALREADY_EXISTS = 2150858803
ERROR_WSMAN_INVALID_PARAMETER = 2150858810
ERROR_WSMAN_SCHEMA_VALIDATION_ERROR = 2150858817
ERROR_WSMAN_INVALID_XML = 2150858819
ERROR_WSMAN_MAX_ENVELOPE_SIZE = 2150858823
ERROR_WSMAN_SERVER_ENVELOPE_LIMIT = 2150858825
ERROR_WSMAN_UNEXPECTED_SELECTORS = 2150858843
#: ERROR_WSMAN_QUOTA_MAX_SHELLS (0x803381A5). Which code goes with the plug-in's "maximum number of N concurrent
#: shells" text is unverified (`hyperv-cim-winrm.md` §6.b); this is the plain max-shells one.
ERROR_WSMAN_QUOTA_MAX_SHELLS = 2150859173  # plausible WS2022 behaviour
ERROR_WSMAN_INTERNAL_ERROR = 2147500037  # E_FAIL, what the service reports when a plug-in fails unexpectedly

FAULT_DETAIL = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"


@dataclass
class WSManFault(Exception):
    """A fault to send back instead of a reply.

    `receiver` picks `s:Receiver` (the service failed) over `s:Sender` (the request was wrong).
    `provider` nests the message in an `f:ProviderFault` the way the shell plug-in reports its own faults.
    """

    code: int
    subcode: str
    reason: str
    receiver: bool = False
    message: str | None = None
    detail: str | None = None
    provider: str | None = None

    def __post_init__(self) -> None:
        Exception.__init__(self, self.reason)

    @property
    def action(self) -> str:
        """Addressing-level faults (`a:` subcodes) use the addressing fault action, like Windows does."""
        return ns.Action.ADDRESSING_FAULT if self.subcode.startswith("a:") else ns.Action.WSMAN_FAULT

    def to_xml(self, machine: str) -> str:
        """The `s:Fault` element."""
        message = self.message or self.reason
        inner = text_element("f:Message", message)
        if self.provider:
            nested = element(
                "f:WSManFault",
                text_element("f:Message", message),
                **{"xmlns:f": ns.WSMAN_FAULT, "Code": str(self.code), "Machine": machine},
            )
            provider = element(
                "f:ProviderFault", nested, provider=self.provider, path="%systemroot%\\system32\\WsmSvc.dll"
            )
            inner = element("f:Message", provider)
        wsman_fault = element(
            "f:WSManFault", inner, **{"xmlns:f": ns.WSMAN_FAULT, "Code": str(self.code), "Machine": machine}
        )
        detail = (text_element("w:FaultDetail", self.detail) if self.detail else "") + wsman_fault
        code = element(
            "s:Code",
            text_element("s:Value", "s:Receiver" if self.receiver else "s:Sender")
            + element("s:Subcode", text_element("s:Value", self.subcode)),
        )
        reason = element("s:Reason", text_element("s:Text", self.reason, **{"xml:lang": "en-US"}))
        return element("s:Fault", code + reason + element("s:Detail", detail))


def operation_timed_out() -> WSManFault:
    """A Receive that found nothing to return within OperationTimeout (text copied from a Windows reply)."""
    reason = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "
    return WSManFault(ERROR_WSMAN_OPERATION_TIMEDOUT, "w:TimedOut", reason, receiver=True)


def shell_not_found() -> WSManFault:
    """A request naming a ShellId the service does not know (text and nesting copied from a Windows reply)."""
    reason = (
        "The WS-Management service cannot process the request because the request contained invalid selectors "
        "for the resource. "
    )
    return WSManFault(
        ERROR_WSMAN_UNEXPECTED_SELECTORS,
        "w:InvalidSelectors",
        reason,
        detail=FAULT_DETAIL + "UnexpectedSelectors",
        provider="Shell provider",
    )


def shell_quota_exceeded(limit: int) -> WSManFault:
    """A Create beyond the plug-in's MaxShellsPerUser: `wsman:QuotaLimit` (MS-WSMV 3.1.4.5.2.1) with the text
    PowerShell shows for that quota (`hyperv-cim-winrm.md` §6.b)."""
    reason = (
        f"The WS-Management service cannot process the request. This user is allowed a maximum number of {limit} "
        "concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. "
    )
    return WSManFault(
        ERROR_WSMAN_QUOTA_MAX_SHELLS, "w:QuotaLimit", reason, receiver=True, detail=FAULT_DETAIL + "MaxShells"
    )


def command_not_found() -> WSManFault:
    """A request naming a CommandId the shell does not know (text copied from a Windows reply)."""
    reason = (
        "The WS-Management service cannot process the request because the request contained invalid selectors "
        "for the resource. "
    )
    message = (
        "The Windows Remote Shell received a request to perform an operation on a command identifier that does "
        "not exist. Either the command has completed execution or the client specified an invalid command "
        "identifier. "
    )
    return WSManFault(
        ERROR_WSMAN_UNEXPECTED_SELECTORS,
        "w:InvalidSelectors",
        reason,
        message=message,
        detail=FAULT_DETAIL + "UnexpectedSelectors",
    )


def invalid_header(problem: str) -> WSManFault:
    """A header with an unusable value; `problem` completes the sentence (format copied from a Windows reply)."""
    reason = (
        "The WS-Management service cannot process the request. The request contains one or more invalid SOAP headers. "
    )
    message = f"The WS-Management service cannot process the request. {problem} "
    return WSManFault(
        ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER, "a:InvalidMessageInformationHeader", reason, message=message
    )


def header_required(header: str) -> WSManFault:
    # plausible WS2022 behaviour: the addressing fault for a missing required header.
    reason = "The WS-Management service cannot process the request. A required header is missing. "
    message = f"The WS-Management service cannot process the request. The {header} header is missing or empty. "
    return WSManFault(
        ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED, "a:MessageInformationHeaderRequired", reason, message=message
    )


def invalid_xml(problem: str) -> WSManFault:
    # plausible WS2022 behaviour: the service rejects a body that is not well-formed SOAP.
    reason = "The WS-Management service cannot process the request because the XML is invalid. "
    return WSManFault(
        ERROR_WSMAN_INVALID_XML, "w:SchemaValidationError", reason, message=f"{reason.rstrip()} {problem}"
    )


def invalid_body(problem: str) -> WSManFault:
    # plausible WS2022 behaviour: the SOAP body does not match what the action requires.
    reason = "The SOAP XML in the message does not match the corresponding XML schema definition. "
    return WSManFault(
        ERROR_WSMAN_SCHEMA_VALIDATION_ERROR, "w:SchemaValidationError", reason, message=f"{reason.rstrip()} {problem}"
    )


def invalid_psrp_data(problem: str) -> WSManFault:
    # plausible WS2022 behaviour: the PowerShell plug-in refuses data it cannot decode.
    reason = "The WS-Management service cannot process the request because the data is invalid. "
    return WSManFault(
        ERROR_WSMAN_INVALID_PARAMETER,
        "w:InvalidParameter",
        reason,
        message=f"{reason.rstrip()} {problem}",
        provider="microsoft.powershell",
    )


def invalid_signal(code: str) -> WSManFault:
    # plausible WS2022 behaviour: an unknown signal code is an invalid parameter.
    reason = "The WS-Management service cannot process the request because a parameter is invalid. "
    return WSManFault(
        ERROR_WSMAN_INVALID_PARAMETER, "w:InvalidParameter", reason, message=f"Unknown signal code {code!r}."
    )


def action_not_supported(action: str) -> WSManFault:
    # plausible WS2022 behaviour: Enumerate/Connect/Disconnect/Reconnect and unknown actions.
    reason = "The WS-Management service cannot process the request because the action is not supported. "
    return WSManFault(
        ERROR_WSMAN_ACTION_NOT_SUPPORTED,
        "a:ActionNotSupported",
        reason,
        message=f"The action {action!r} is not supported by this service. ",
    )


def resource_not_found(resource_uri: str) -> WSManFault:
    # plausible WS2022 behaviour: a resource URI with no plug-in (e.g. an unknown session configuration).
    reason = "The WS-Management service cannot process the request because the resource URI was not found. "
    return WSManFault(
        ERROR_WSMAN_RESOURCE_NOT_FOUND,
        "a:DestinationUnreachable",
        reason,
        message=f"The WS-Management service cannot process the request. The resource URI {resource_uri!r} was "
        "not found. ",
        detail=FAULT_DETAIL + "InvalidResourceURI",
    )


def shell_already_exists(shell_id: str) -> WSManFault:
    # plausible WS2022 behaviour: a Create reusing a live ShellId.
    reason = "The WS-Management service cannot create the resource because it already exists. "
    return WSManFault(ERROR_WSMAN_ALREADY_EXISTS, "w:AlreadyExists", reason, message=f"Shell {shell_id} exists. ")


def envelope_too_large(size: int, limit: int) -> WSManFault:
    # plausible WS2022 behaviour: a request larger than MaxEnvelopeSizekb.
    reason = "The WS-Management service cannot process the request because the envelope size is too large. "
    return WSManFault(
        ERROR_WSMAN_SERVER_ENVELOPE_LIMIT,
        "w:EncodingLimit",
        reason,
        message=f"The request is {size} bytes; the limit is {limit} bytes (MaxEnvelopeSizekb). ",
        detail=FAULT_DETAIL + "ServiceEnvelopeLimit",
    )


def max_envelope_too_small(value: int, minimum: int) -> WSManFault:
    # plausible WS2022 behaviour: a MaxEnvelopeSize below what any reply needs.
    reason = "The WS-Management service cannot process the request because the MaxEnvelopeSize is too small. "
    return WSManFault(
        ERROR_WSMAN_MAX_ENVELOPE_SIZE,
        "w:EncodingLimit",
        reason,
        message=f"MaxEnvelopeSize {value} is below the minimum of {minimum} bytes. ",
        detail=FAULT_DETAIL + "MinimumEnvelopeLimit",
    )


def internal_error(problem: str) -> WSManFault:
    """The service itself failed; the request may be fine."""
    reason = "The WS-Management service cannot process the request because of an internal error. "
    return WSManFault(ERROR_WSMAN_INTERNAL_ERROR, "w:InternalError", reason, receiver=True, message=problem)
