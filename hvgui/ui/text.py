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


#: Unicode's explicit directional formatting characters: in host text they could reorder what follows them.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def without_bidi_controls(text: str) -> str:
    """`text` without directional formatting characters, for host text shown inside a sentence of hvgui's."""
    return "".join(char for char in text if char not in BIDI_CONTROLS)
