"""`ToString` text as a host writes it into CLIXML.

PowerShell's serializer encodes an object's `<ToString>` like any other string (`_x0007_` for a control
character, `_x005F_x` for a literal `_x`), so a name holding a control character still reaches the client
as a readable object. psrpcore 0.3.1 writes `<ToString>` raw, which makes pypsrp reject the whole object;
the emulator therefore hands psrpcore text that is already encoded.
"""

from __future__ import annotations

from psrpcore.types._serializer import _serialize_string  # psrpcore is pinned (pyproject): its string encoder


def clixml_text(text: str) -> str:
    """`text` encoded for a CLIXML `<ToString>` element (XML escaping is left to the XML writer)."""
    return _serialize_string(text)
