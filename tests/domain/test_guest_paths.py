"""Guest paths Windows or Linux would refuse are caught before anything is sent, with the reason."""

from __future__ import annotations

import pytest

from hvgui.domain.guest_paths import (
    MAX_PATH,
    GuestOs,
    check_destinations,
    check_folder,
    default_folder,
    guess_os,
    join,
)

W = GuestOs.Windows
L = GuestOs.Linux


@pytest.mark.parametrize(
    "path",
    [
        "C:\\Temp",
        "C:\\",
        "c:/Users/admin/Desktop",
        "D:\\Program Files\\My App",
        'C:\\Temp\\it\'s "fine"'.replace('"', "'"),
        "C:\\Temp\\$(Get-Date)",
        "C:\\Temp\\${env_TEMP}; rm -r x & `whoami`",
        "C:\\Temp\\Ünïcødé 日本語 ✓",
        "C:\\Temp\\CONSOLE",
        "C:\\Temp\\com10",
        "C:\\Temp\\.hidden",
        "\\\\fileserver\\share\\drop",
        "C:\\" + "\\".join(["a" * 50] * 4),
    ],
)
def test_windows_folders_that_pass(path: str) -> None:
    assert check_folder(path, W) is None


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("C:\\Temp\\a<b", "'a<b' contains <; Windows refuses these characters in names: < > : \" | ? *"),
        ("C:\\Temp\\a>b", ">"),
        ("C:\\Temp\\a:b", ":"),
        ('C:\\Temp\\a"b', '"'),
        ("C:\\Temp\\a|b", "|"),
        ("C:\\Temp\\a?b", "?"),
        ("C:\\Temp\\a*b", "*"),
        ("C:\\Temp\\tab\there", "control character (U+0009)"),
        ("C:\\Temp\\nl\nhere", "U+000A"),
        ("C:\\Temp\\CON", "reserved"),
        ("C:\\Temp\\con.txt", "reserved"),
        ("C:\\Temp\\Nul.tar.gz", "reserved"),
        ("C:\\Temp\\PRN", "reserved"),
        ("C:\\Temp\\aux", "reserved"),
        ("C:\\Temp\\COM1", "reserved"),
        ("C:\\Temp\\com9.log", "reserved"),
        ("C:\\Temp\\LPT1", "reserved"),
        ("C:\\Temp\\lpt9", "reserved"),
        ("C:\\Temp\\" + "x" * 256, "at most 255"),
        ("C:\\" + "\\".join(["a" * 200] * 2), f"at most {MAX_PATH}"),
        ("C:\\Temp\\trailing ", "ends with a space or a dot"),
        ("C:\\Temp\\trailing.", "ends with a space or a dot"),
        ("Temp\\sub", "relative"),
        ("\\Temp", "relative"),
        ("C:Temp", "relative"),
        ("/tmp", "relative"),
        ("", "Type the folder"),
        ("   ", "Type the folder"),
    ],
)
def test_windows_folders_refused_with_the_reason(path: str, words: str) -> None:
    problem = check_folder(path, W)
    assert problem is not None
    assert words in problem.reason
    assert problem.path == path


def test_a_path_of_exactly_max_path_passes_and_one_more_fails() -> None:
    base = "C:\\" + "\\".join(["a" * 100, "b" * 100])
    exact = base + "\\" + "c" * (MAX_PATH - len(base) - 1)
    assert len(exact) == MAX_PATH
    assert check_folder(exact, W) is None
    assert check_folder(exact + "c", W) is not None


def test_lengths_count_utf16_units() -> None:
    emoji_name = "\U0001f600" * 128  # 256 UTF-16 units in 128 characters
    problem = check_folder("C:\\Temp\\" + emoji_name, W)
    assert problem is not None and "256 characters" in problem.reason


@pytest.mark.parametrize("path", ["/tmp", "/", '/home/a b/it\'s "q"/$(id)/日本', "/tmp/CON", "/tmp/a:b*?"])
def test_linux_folders_that_pass(path: str) -> None:
    assert check_folder(path, L) is None


@pytest.mark.parametrize(
    ("path", "words"), [("tmp", "relative"), ("C:\\Temp", "relative"), ("/tmp/a\0b", "NUL"), ("", "Type")]
)
def test_linux_folders_refused_with_the_reason(path: str, words: str) -> None:
    problem = check_folder(path, L)
    assert problem is not None and words in problem.reason


def test_each_file_destination_is_checked_under_the_folder() -> None:
    assert check_destinations("C:\\Temp", ["a.txt", "tree/sub/b c.txt", "empty.bin"], W) is None
    problem = check_destinations("C:\\Temp", ["ok.txt", "tree/aux.log"], W)
    assert problem is not None
    assert problem.path == "C:\\Temp\\tree\\aux.log"
    assert problem.reason.startswith("'tree/aux.log' cannot be copied there:") and "reserved" in problem.reason
    long_folder = "C:\\" + "d" * 250
    assert check_folder(long_folder, W) is None
    problem = check_destinations(long_folder, ["twelve chars"], W)
    assert problem is not None and "at most 260" in problem.reason
    assert check_destinations("/tmp", ["a:b*?.txt", "dir/x"], L) is None


def test_join_uses_the_guest_separator() -> None:
    assert join("C:\\Temp", "a/b.txt", W) == "C:\\Temp\\a\\b.txt"
    assert join("C:\\", "a.txt", W) == "C:\\a.txt"
    assert join("C:\\Temp\\", "a.txt", W) == "C:\\Temp\\a.txt"
    assert join("/", "a/b", L) == "/a/b"
    assert join("/tmp/", "x\\y", L) == "/tmp/x\\y"


def test_defaults_and_guesses() -> None:
    assert default_folder(W) == "C:\\Temp" and default_folder(L) == "/tmp"
    assert guess_os("/srv") is L and guess_os("C:\\x") is W and guess_os("") is W
