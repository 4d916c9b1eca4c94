"""Writing small XML documents as text.

Replies are written as text rather than through ElementTree so that the emulator never touches
ElementTree's process-wide prefix registry (the client library in the same process relies on it) and so
that every reply uses the exact prefixes a Windows host uses.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr


def text(value: object) -> str:
    """Escape character data."""
    return escape(str(value))


def element(tag: str, content: str = "", **attributes: str | None) -> str:
    """`<tag a="1">content</tag>`; `content` must already be XML. Attributes whose value is None are left out."""
    attrs = "".join(f" {name}={quoteattr(value)}" for name, value in attributes.items() if value is not None)
    if not content:
        return f"<{tag}{attrs}/>"
    return f"<{tag}{attrs}>{content}</{tag}>"


def text_element(tag: str, value: object, **attributes: str | None) -> str:
    """`<tag>escaped value</tag>`, always with an end tag (a Windows host writes `<x></x>` for empty text)."""
    attrs = "".join(f" {name}={quoteattr(v)}" for name, v in attributes.items() if v is not None)
    return f"<{tag}{attrs}>{text(value)}</{tag}>"
