"""How text from hosts and guests is shown: so that it cannot pass for something else.

VM, checkpoint, host, OS and file names and error texts come from hosts and guests, and a name can hold
characters that change what the admin reads: a right-to-left override (`"\\u202eexe.gpj"` shows as
"jpg.exe"), zero-width characters (two VMs that look alike), line breaks (a second row that is not one) and
other control characters. Every place that shows such text passes it through this module, so it is treated
the same way everywhere:

- `visible` for text that may span lines (panels, messages, questions, tooltips): line breaks stay; every
  other control, format or separator character becomes visible: C0 controls as their control pictures
  (TAB as ␉), and the rest, bidirectional controls included, as `⟨U+202E⟩`. No character that can reorder
  or hide text reaches the screen, so nothing around it moves.
- `one_line` for a cell or a title: `visible`, and each line break as ⏎.

The exact text is kept wherever it is used rather than read: Copy as PowerShell, copies and the host's own
identifiers work with the raw values. Both functions are idempotent: shaped text shapes to itself.
"""

from __future__ import annotations

import unicodedata

#: Stands for one line break (CR, LF or CRLF) in a one-line cell.
LINE_BREAK_SYMBOL = "\u23ce"  # ⏎

#: Unicode's bidirectional formatting characters: they reorder what follows them.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

#: General categories shown as their code point: controls (Cc, beyond C0), format characters (Cf: bidi
#: controls, zero-width characters, the BOM, tag characters), line and paragraph separators, private use,
#: surrogates and unassigned code points.
_SHOWN_AS_CODE = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})
_ZERO_WIDTH_JOINER = "\u200d"


def code_point(char: str) -> str:
    """`⟨U+202E⟩`: a character shown by its code point."""
    return f"\u27e8U+{ord(char):04X}\u27e9"


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or 0x1F000 <= ord(char) <= 0x1FAFF


def _shaped(text: str, *, line_break: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for position, char in enumerate(text):
        code = ord(char)
        if char == "\n":
            out.append(line_break)
        elif code < 0x20:
            out.append(chr(0x2400 + code))  # e.g. TAB -> ␉
        elif code == 0x7F:
            out.append("\u2421")  # ␡
        elif char == _ZERO_WIDTH_JOINER and _joins_emoji(text, position):
            out.append(char)  # inside an emoji sequence (👨‍👩‍👧) it only shapes the picture
        elif code > 0x7F and unicodedata.category(char) in _SHOWN_AS_CODE:
            out.append(code_point(char))
        else:
            out.append(char)
    return "".join(out)


def _joins_emoji(text: str, position: int) -> bool:
    before = text[position - 1] if position > 0 else ""
    after = text[position + 1] if position + 1 < len(text) else ""
    if before == "\ufe0f" and position > 1:  # an emoji presentation selector sits between
        before = text[position - 2]
    return bool(before and after) and _is_emoji(before) and _is_emoji(after)


def visible(text: str) -> str:
    """Host or guest text for a multi-line place: line breaks kept, every other invisible, control or
    reordering character made visible (see the module docstring)."""
    return _shaped(text, line_break="\n")


def one_line(text: str) -> str:
    """Host or guest text for one line: `visible`, with each line break as ⏎."""
    return _shaped(text, line_break=LINE_BREAK_SYMBOL)


def untrusted_name(text: str) -> str:
    """A file or folder name from a guest for one line (the same shaping as every other host text)."""
    return one_line(text)


def untrusted_line(text: str) -> str:
    """A key-value pair's key or value for a cell (the same shaping as every other host text)."""
    return one_line(text)


def untrusted_text(text: str) -> str:
    """Guest-supplied text over several lines (the same shaping as every other host text)."""
    return visible(text)
