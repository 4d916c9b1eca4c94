"""Text shaping for one-line cells: host-supplied names may hold newlines and control characters.

A VM name is shown verbatim everywhere, but a table cell has one line: a line break there would hide the
rest of the name or be mistaken for two rows. So cells show line breaks and other control characters as
visible symbols, while the VM panel and tooltips show the exact text.
"""

from __future__ import annotations

#: Stands for one line break (CR, LF or CRLF) in a one-line cell.
LINE_BREAK_SYMBOL = "\u23ce"  # ⏎


#: Every C0 control character as its Unicode control picture (TAB -> ␉), DEL as ␡, a line feed as ⏎.
_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "\u2421", 0x0A: LINE_BREAK_SYMBOL}


def one_line(text: str) -> str:
    """`text` with each line break as ⏎ and every other C0 control character as its Unicode control picture.

    Views call this for every cell they paint, so plain text (nearly every name) is returned as it is.
    """
    if text.isprintable():  # no control character at all (it may still be a format or other special one)
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_PICTURES)
