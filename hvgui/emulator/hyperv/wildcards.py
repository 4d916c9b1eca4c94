"""PowerShell wildcard patterns (`System.Management.Automation.WildcardPattern`), case-insensitive.

`*` any run, `?` one character, `[abc]` / `[a-z]` a set or range, and the backtick escapes the next
character. A name such as `web[1]` is a pattern that does not match itself: that is PowerShell's behaviour
and the emulator keeps it.
"""

from __future__ import annotations

import functools
import re

_SPECIAL = "*?[]"


def contains_wildcard(text: str) -> bool:
    """`WildcardPattern.ContainsWildcardCharacters`: an unescaped `*`, `?`, `[` or `]`."""
    escaped = False
    for c in text:
        if escaped:
            escaped = False
        elif c == "`":
            escaped = True
        elif c in _SPECIAL:
            return True
    return False


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "`" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                # An unclosed bracket makes the whole pattern invalid; PowerShell matches nothing then.
                return re.compile(r"(?!)")
            body = pattern[i + 1 : end]
            out.append("[" + "".join("\\" + ch if ch in "\\^]" else ch for ch in body) + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def matches(pattern: str, text: str) -> bool:
    return _compile(pattern).fullmatch(text) is not None


def matches_any(patterns: list[str], text: str) -> bool:
    return any(matches(p, text) for p in patterns)
