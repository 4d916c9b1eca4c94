from __future__ import annotations

import pytest

from hvgui.ui.text import one_line


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain", "plain"),
        ("a\nb", "a\u23ceb"),
        ("a\r\nb", "a\u23ceb"),
        ("a\rb", "a\u23ceb"),
        ("tab\there", "tab\u2409here"),
        ("bell\x07", "bell\u2407"),
        ("del\x7f", "del\u2421"),
        ("$(whoami) `x` \"q\" 'q' ✓ 日本", "$(whoami) `x` \"q\" 'q' ✓ 日本"),
    ],
)
def test_one_line_makes_control_characters_visible(raw: str, shown: str) -> None:
    assert one_line(raw) == shown


def test_untrusted_text_shows_bidi_and_zero_width_characters() -> None:
    from hvgui.ui.text import untrusted_line, untrusted_text

    assert untrusted_line("a\u202eb\u200bc\nd") == "a\u27e8U+202E\u27e9b\u27e8U+200B\u27e9c\u23ced"
    assert untrusted_text("one\r\ntwo\u2066") == "one\ntwo\u27e8U+2066\u27e9"
    assert untrusted_line("Grüße 😀 שלום") == "Grüße 😀 שלום"
