"""Reading a WS-Management request envelope and writing reply envelopes.

`parse_request` turns the bytes of a SOAP request into a `Request` or raises a `WSManFault` that already
knows the request's MessageID when it could be read, so that even a fault carries `a:RelatesTo`.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from hvgui.emulator.wsman import faults
from hvgui.emulator.wsman import namespaces as ns
from hvgui.emulator.wsman.xmltext import element, text_element

#: What a reply may use when the request does not say (WinRM's historical default envelope size).
DEFAULT_MAX_ENVELOPE_SIZE = 153600
#: No reply fits in less: a Windows host rejects smaller MaxEnvelopeSize values.
MIN_MAX_ENVELOPE_SIZE = 8192
#: WinRM's MaxTimeoutms: longer OperationTimeouts are cut to this.
MAX_OPERATION_TIMEOUT = 60.0
DEFAULT_OPERATION_TIMEOUT = 60.0

_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
#: Element content at least this long, made only of base64 characters, is lifted out before parsing (`_lift`).
_LIFT_MIN = 4096
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_MESSAGE_ID = re.compile(rb"<(?:[\w.-]+:)?MessageID(?:\s[^>]*)?>\s*([^<\s]{1,200})\s*</", re.IGNORECASE)


class RequestFault(Exception):
    """A fault raised while reading a request, with the MessageID if it was readable."""

    def __init__(self, fault: faults.WSManFault, message_id: str | None) -> None:
        super().__init__(fault.reason)
        self.fault = fault
        self.message_id = message_id


@dataclass(frozen=True)
class Request:
    """The parts of a WS-Management request the service acts on."""

    action: str
    message_id: str
    resource_uri: str
    body: ET.Element
    selectors: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    max_envelope_size: int = DEFAULT_MAX_ENVELOPE_SIZE
    operation_timeout: float = DEFAULT_OPERATION_TIMEOUT
    locale: str = "en-US"

    def find(self, path: str) -> ET.Element | None:
        """Find an element of the body by a path of `prefix:name` steps (prefixes as in `namespaces`)."""
        return self.body.find(_clark(path))

    def findall(self, path: str) -> list[ET.Element]:
        return self.body.findall(_clark(path))


_PREFIXES = {"rsp": ns.SHELL, "w": ns.WSMAN, "pwsh": ns.POWERSHELL, "s": ns.SOAP}


def _clark(path: str) -> str:
    steps = []
    for step in path.split("/"):
        prefix, _, local = step.partition(":")
        steps.append(ns.qname(_PREFIXES[prefix], local) if local else step)
    return "/".join(steps)


def salvage_message_id(data: bytes) -> str | None:
    """The MessageID of a request that could not be parsed, found by pattern, so a fault can relate to it."""
    match = _MESSAGE_ID.search(data[:65536])
    if not match:
        return None
    try:
        return match.group(1).decode("utf-8")
    except UnicodeDecodeError:
        return None


def parse_duration(value: str) -> float:
    """Seconds in an xs:duration such as `PT20S` or `PT1M30.5S`; raises ValueError for anything else."""
    match = _DURATION.match(value.strip())
    if not match or value.strip() in ("P", "PT"):
        raise ValueError(value)
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def _lift(data: bytes) -> tuple[bytes, str, list[bytes]]:
    """The envelope with every long run of base64 characters between a `>` and the next `<` replaced by a
    token, the token, and the runs lifted out.

    A Send or Command carries its PSRP data as one text node of up to MaxEnvelopeSize of base64; expat reads
    such a node several times slower than the rest of the emulator handles it. A run of base64 characters is
    literal text wherever it stands (element content, a comment, CDATA, an attribute value: none of them
    changes or rejects such characters), so parsing the envelope with a shorter base64 token in its place and
    putting the run back where the token lands gives the same tree and the same well-formedness verdict.
    Returns no runs when there is nothing to lift or the token happens to occur in the envelope.
    """
    token = uuid.uuid4().hex
    if len(data) < _LIFT_MIN or token.encode("ascii") in data:
        return data, token, []
    pieces: list[bytes] = []
    runs: list[bytes] = []
    kept = 0
    position = data.find(b">")
    while position >= 0:
        end = data.find(b"<", position + 1)
        if end < 0:
            break
        if end - position - 1 >= _LIFT_MIN:
            run = data[position + 1 : end]
            if not run.translate(None, _BASE64_ALPHABET):
                pieces += (data[kept : position + 1], f"{token}{len(runs)}z".encode("ascii"))
                runs.append(run)
                kept = end
        position = data.find(b">", end)
    if not runs:
        return data, token, []
    pieces.append(data[kept:])
    return b"".join(pieces), token, runs


def _parse(data: bytes) -> ET.Element:
    """`ET.fromstring(data)`, with long base64 text nodes kept out of expat (see `_lift`)."""
    lifted, token, runs = _lift(data)
    if not runs:
        return ET.fromstring(data)
    try:
        root = ET.fromstring(lifted)
    except ET.ParseError:
        return ET.fromstring(data)  # raises again, with the line and column of the envelope as sent
    texts = {f"{token}{index}z": run.decode("ascii") for index, run in enumerate(runs)}
    pattern = re.compile(f"{token}\\d+z")

    def restore(value: str) -> str:
        return pattern.sub(lambda match: texts[match.group(0)], value) if token in value else value

    for node in root.iter():
        if node.text:
            node.text = restore(node.text)
        if node.tail:
            node.tail = restore(node.tail)
        for name, value in node.attrib.items():
            node.attrib[name] = restore(value)
    return root


def parse_request(data: bytes) -> Request:
    """Parse and check a request envelope. Raises `RequestFault`."""
    message_id = salvage_message_id(data)
    if b"<!DOCTYPE" in data:  # XML is case-sensitive, and entities need a DOCTYPE
        raise RequestFault(
            faults.invalid_xml("A SOAP message must not contain a document type declaration."), message_id
        )
    try:
        root = _parse(data)
    except ET.ParseError as exc:
        raise RequestFault(faults.invalid_xml(f"The XML is not well formed ({exc})."), message_id) from None
    if root.tag != ns.qname(ns.SOAP, "Envelope"):
        raise RequestFault(faults.invalid_xml("The root element is not a SOAP 1.2 Envelope."), message_id)
    header = root.find(ns.qname(ns.SOAP, "Header"))
    body = root.find(ns.qname(ns.SOAP, "Body"))

    def header_text(namespace: str, local: str) -> str | None:
        found = header.find(ns.qname(namespace, local)) if header is not None else None
        return (found.text or "").strip() if found is not None else None

    parsed_id = header_text(ns.ADDRESSING, "MessageID")
    if not parsed_id:
        raise RequestFault(faults.header_required("MessageID"), None)
    message_id = parsed_id
    action = header_text(ns.ADDRESSING, "Action")
    if not action:
        raise RequestFault(faults.header_required("Action"), message_id)
    resource_uri = header_text(ns.WSMAN, "ResourceURI")
    if not resource_uri:
        raise RequestFault(faults.header_required("ResourceURI"), message_id)
    if body is None:
        raise RequestFault(faults.invalid_xml("The SOAP Body is missing."), message_id)

    max_envelope = DEFAULT_MAX_ENVELOPE_SIZE
    raw_max = header_text(ns.WSMAN, "MaxEnvelopeSize")
    if raw_max is not None:
        try:
            max_envelope = int(raw_max)
        except ValueError:
            problem = f"The XML contains an invalid MaxEnvelopeSize field in the SOAP header: {raw_max}."
            raise RequestFault(faults.invalid_header(problem), message_id) from None
        if max_envelope < MIN_MAX_ENVELOPE_SIZE:
            raise RequestFault(faults.max_envelope_too_small(max_envelope, MIN_MAX_ENVELOPE_SIZE), message_id)

    timeout = DEFAULT_OPERATION_TIMEOUT
    raw_timeout = header_text(ns.WSMAN, "OperationTimeout")
    if raw_timeout is not None:
        try:
            timeout = parse_duration(raw_timeout)
        except ValueError:
            problem = f"The XML contains an invalid timeout field in the SOAP header: {raw_timeout}."
            raise RequestFault(faults.invalid_header(problem), message_id) from None
        # plausible WS2022 behaviour: an OperationTimeout above MaxTimeoutms is served as MaxTimeoutms.
        timeout = min(timeout, MAX_OPERATION_TIMEOUT)

    selectors: dict[str, str] = {}
    options: dict[str, str] = {}
    locale = "en-US"
    if header is not None:
        for selector in header.iter(ns.qname(ns.WSMAN, "Selector")):
            selectors[selector.get("Name", "")] = (selector.text or "").strip()
        for option in header.iter(ns.qname(ns.WSMAN, "Option")):
            options[option.get("Name", "")] = (option.text or "").strip()
        locale_element = header.find(ns.qname(ns.WSMAN, "Locale"))
        if locale_element is not None:
            locale = locale_element.get(ns.qname(ns.XML, "lang"), locale)
    return Request(
        action=action,
        message_id=message_id,
        resource_uri=resource_uri,
        body=body,
        selectors=selectors,
        options=options,
        max_envelope_size=max_envelope,
        operation_timeout=timeout,
        locale=locale,
    )


def render(action: str, relates_to: str | None, body: str) -> bytes:
    """A reply envelope in the shape a Windows host writes (same prefixes, same header order)."""
    declarations = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in ns.RESPONSE_PREFIXES)
    header = (
        text_element("a:Action", action)
        + text_element("a:MessageID", f"uuid:{str(uuid.uuid4()).upper()}")
        + text_element("a:To", ns.ANONYMOUS)
    )
    if relates_to:
        header += text_element("a:RelatesTo", relates_to)
    envelope = (
        f'<s:Envelope xml:lang="en-US"{declarations}>'
        + element("s:Header", header)
        + f"<s:Body>{body}</s:Body>"
        + "</s:Envelope>"
    )
    return envelope.encode("utf-8")


def render_fault(fault: faults.WSManFault, relates_to: str | None, machine: str) -> bytes:
    return render(fault.action, relates_to, fault.to_xml(machine))
