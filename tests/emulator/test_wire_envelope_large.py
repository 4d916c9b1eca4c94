"""Large base64 streams in request envelopes: the parser's fast path must read them exactly as expat does."""

from __future__ import annotations

import base64
import os
import xml.etree.ElementTree as ET

import pytest

from hvgui.emulator.wsman import envelope

PAYLOAD = base64.b64encode(os.urandom(60_000))


def _document(body: bytes) -> bytes:
    return (
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:r="urn:r"><s:Header/><s:Body>'
        + body
        + b"</s:Body></s:Envelope>"
    )


@pytest.mark.parametrize(
    "body",
    [
        b'<r:Send><r:Stream Name="stdin" CommandId="X">' + PAYLOAD + b"</r:Stream></r:Send>",
        b"<r:Send><r:Stream>" + PAYLOAD + b"</r:Stream><r:Stream>" + PAYLOAD[:9000] + b"</r:Stream></r:Send>",
        b"<r:Send><!-- >" + PAYLOAD + b"<x> --><r:Stream>A</r:Stream></r:Send>",
        b'<r:Send><r:Stream a="q>' + PAYLOAD + b'"/></r:Send>',
        b"<r:Send><![CDATA[ >" + PAYLOAD + b"<y ]]></r:Send>",
        b"<r:Send><r:Stream>\n" + PAYLOAD + b"\r\n</r:Stream></r:Send>",
    ],
)
def test_large_streams_parse_as_expat_reads_them(body: bytes) -> None:
    data = _document(body)
    assert ET.tostring(envelope._parse(data)) == ET.tostring(ET.fromstring(data))


def test_a_broken_envelope_reports_the_position_in_the_envelope_as_sent() -> None:
    data = _document(b"<r:Send><r:Stream>" + PAYLOAD + b"</r:Stream></r:Sendx>")
    with pytest.raises(ET.ParseError) as expected:
        ET.fromstring(data)
    with pytest.raises(ET.ParseError) as actual:
        envelope._parse(data)
    assert str(actual.value) == str(expected.value)
