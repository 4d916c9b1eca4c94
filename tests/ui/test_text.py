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


def test_untrusted_names_show_bidi_controls_and_control_characters_in_place() -> None:
    from hvgui.ui.text import untrusted_name

    assert untrusted_name("evil\u202etxt.exe") == "evil\u27e8U+202E\u27e9txt.exe"
    assert untrusted_name("a\u2066b\u2069\x07.txt") == "a\u27e8U+2066\u27e9b\u27e8U+2069\u27e9\u2407.txt"
    assert untrusted_name("Überprüfung – 日本 $(x) 'q'.log") == "Überprüfung – 日本 $(x) 'q'.log"
