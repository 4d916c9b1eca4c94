"""Text shaping for one-line cells: host-supplied names may hold newlines and control characters.

A VM name is shown verbatim everywhere, but a table cell has one line: a line break there would hide the
rest of the name or be mistaken for two rows. So cells show line breaks and other control characters as
visible symbols, while the VM panel and tooltips show the exact text.
"""

from __future__ import annotations

#: Stands for one line break (CR, LF or CRLF) in a one-line cell.
LINE_BREAK_SYMBOL = "\u23ce"  # ⏎


def one_line(text: str) -> str:
    """`text` with each line break as ⏎ and every other C0 control character as its Unicode control picture."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for char in text:
        code = ord(char)
        if char == "\n":
            out.append(LINE_BREAK_SYMBOL)
        elif code < 0x20:
            out.append(chr(0x2400 + code))  # e.g. TAB -> ␉
        elif code == 0x7F:
            out.append("\u2421")  # ␡
        else:
            out.append(char)
    return "".join(out)


def _format_mark(char: str) -> str | None:
    """A visible stand-in for an invisible formatting character (bidi controls, zero-width characters), which
    could otherwise reorder or hide the text around it; None for any other character."""
    code = ord(char)
    if 0x200B <= code <= 0x200F or 0x202A <= code <= 0x202E or 0x2060 <= code <= 0x2069 or code in (0x061C, 0xFEFF):
        return f"\u27e8U+{code:04X}\u27e9"  # ⟨U+202E⟩
    return None


def untrusted_line(text: str) -> str:
    """`one_line`, and bidi and zero-width characters shown as ⟨U+XXXX⟩: for a cell of guest-supplied text
    (a key-value pair), where a right-to-left override could make a value read as something else."""
    return "".join(_format_mark(c) or c for c in one_line(text))


def untrusted_text(text: str) -> str:
    """Guest-supplied text over several lines (a tooltip, a detail view): line breaks kept, other control
    characters as control pictures, bidi and zero-width characters as ⟨U+XXXX⟩."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(untrusted_line(line) for line in lines)
