"""Where each file of a copy lands in the guest, and how its progress reads (no host needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hvgui.remoting.transfers.meter import TransferMeter
from hvgui.remoting.transfers.plan import guest_join, plan_copy


@pytest.mark.parametrize(
    ("folder", "parts", "expected"),
    [
        ("C:\\Temp", ("a.txt",), "C:\\Temp\\a.txt"),
        ("C:\\Temp\\", ("d", "a.txt"), "C:\\Temp\\d\\a.txt"),
        ("C:", ("a.txt",), "C:\\a.txt"),
        ("C:\\", ("a.txt",), "C:\\a.txt"),
        ("/home/admin", ("d", "a.txt"), "/home/admin/d/a.txt"),
        ("/", ("a.txt",), "/a.txt"),
    ],
)
def test_guest_paths_use_the_guests_separator(folder: str, parts: tuple[str, ...], expected: str) -> None:
    assert guest_join(folder, parts) == expected


def test_folders_keep_their_layout_and_files_come_in_a_stable_order(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "b").mkdir(parents=True)
    (root / "a").mkdir()
    (root / "empty").mkdir()
    (root / "z.txt").write_bytes(b"z")
    (root / "b" / "2.txt").write_bytes(b"22")
    (root / "a" / "1.txt").write_bytes(b"")
    single = tmp_path / "single.bin"
    single.write_bytes(b"123")
    plan = plan_copy((str(root), str(single)), "D:\\Sites")
    assert [(f.guest_path, f.size) for f in plan] == [
        ("D:\\Sites\\site\\z.txt", 1),
        ("D:\\Sites\\site\\a\\1.txt", 0),
        ("D:\\Sites\\site\\b\\2.txt", 2),
        ("D:\\Sites\\single.bin", 3),
    ]


def test_a_missing_source_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        plan_copy((str(tmp_path / "gone"),), "C:\\Temp")


def test_progress_reads_bytes_rate_and_time_left() -> None:
    now = [0.0]
    meter = TransferMeter(256_000_000, clock=lambda: now[0])
    assert meter.progress() == meter.progress()  # nothing measured yet: no rate
    assert meter.progress().text == "0.0 of 256 MB"
    now[0] = 1.0
    meter.add(12_000_000)
    now[0] = 2.0
    meter.add(12_000_000)
    progress = meter.progress("file 1 of 3")
    assert progress.percent == 9
    assert progress.text == "24.0 of 256 MB · 12.0 MB/s · 19 s left · file 1 of 3"
