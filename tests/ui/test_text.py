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
