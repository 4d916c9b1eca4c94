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


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\u202eexe.gpj\u202c rtl", "\u27e8U+202E\u27e9exe.gpj\u27e8U+202C\u27e9 rtl"),  # cannot pass for jpg.exe
        ("dev\u200bbox-01", "dev\u27e8U+200B\u27e9box-01"),  # zero width: not the same as devbox-01
        ("\ufeffweb01", "\u27e8U+FEFF\u27e9web01"),
        ("nel\x85x", "nel\u27e8U+0085\u27e9x"),  # a C1 control
        ("line\u2028sep", "line\u27e8U+2028\u27e9sep"),
        ("tag\U000e0041", "tag\u27e8U+E0041\u27e9"),
        ("family \U0001f468\u200d\U0001f469\u200d\U0001f467", "family \U0001f468\u200d\U0001f469\u200d\U0001f467"),
        ("a\u200db", "a\u27e8U+200D\u27e9b"),  # a joiner outside an emoji sequence is shown
        ("שלום sql01 مرحبا", "שלום sql01 مرحبا"),  # right-to-left letters are text, not controls
    ],
)
def test_invisible_and_reordering_characters_are_shown_by_their_code_point(raw: str, shown: str) -> None:
    assert one_line(raw) == shown


def test_visible_keeps_line_breaks_and_both_are_idempotent() -> None:
    from hvgui.ui.text import visible

    raw = "first line\r\nsecond\u202e line\tend"
    assert visible(raw) == "first line\nsecond\u27e8U+202E\u27e9 line\u2409end"
    assert visible(visible(raw)) == visible(raw)
    assert one_line(one_line(raw)) == one_line(raw)


def test_untrusted_text_shows_bidi_and_zero_width_characters() -> None:
    from hvgui.ui.text import untrusted_line, untrusted_text

    assert untrusted_line("a\u202eb\u200bc\nd") == "a\u27e8U+202E\u27e9b\u27e8U+200B\u27e9c\u23ced"
    assert untrusted_text("one\r\ntwo\u2066") == "one\ntwo\u27e8U+2066\u27e9"
    assert untrusted_line("Grüße 😀 שלום") == "Grüße 😀 שלום"
