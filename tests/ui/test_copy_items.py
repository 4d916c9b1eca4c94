"""Counting what is about to be copied: files at once, folders in bounded steps, capped for huge trees."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hvgui.domain.vm import Vm
from hvgui.ui.copy import items as items_module
from hvgui.ui.copy.dialog import CopyToVmDialog
from hvgui.ui.copy.items import LocalItem, describe, format_size
from hvgui.ui.preferences import Preferences


def make_tree(root: Path, count: int) -> Path:
    (root / "tree" / "inner").mkdir(parents=True)
    for n in range(count):
        folder = root / "tree" / ("inner" if n % 2 else "")
        (folder / f"f{n:05d}.bin").write_bytes(b"z" * n)
    return root / "tree"


def test_a_file_is_known_at_once(tmp_path: Path) -> None:
    path = tmp_path / "a b.txt"
    path.write_bytes(b"12345")
    item = LocalItem.of(str(path))
    assert (item.name, item.is_folder, item.files, item.size, item.done) == ("a b.txt", False, 1, 5, True)
    assert item.relatives == ["a b.txt"] and describe(item) == "5 bytes"


def test_a_folder_is_counted_in_steps_with_relative_paths(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, 5)
    item = LocalItem.of(str(tree))
    assert item.is_folder and not item.done and describe(item) == "counting\u2026 0 files, 0 bytes"
    assert item.step(budget=2) is False and item.files == 2
    while not item.step(budget=2):
        pass
    assert item.files == 5 and item.size == sum(range(5)) and not item.capped
    assert sorted(item.relatives) == [
        "tree/f00000.bin",
        "tree/f00002.bin",
        "tree/f00004.bin",
        "tree/inner/f00001.bin",
        "tree/inner/f00003.bin",
    ]
    assert describe(item) == "5 files, 10 bytes"


def test_links_to_folders_are_not_followed(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, 2)
    os.symlink(tree, tree / "loop")  # would count forever if followed
    item = LocalItem.of(str(tree))
    assert item.step(budget=100)
    assert "tree/loop" in item.relatives and item.files == 3


def test_counting_stops_at_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(items_module, "MAX_FILES", 3)
    item = LocalItem.of(str(make_tree(tmp_path, 10)))
    assert item.step(budget=100) and item.capped and item.files == 3
    assert describe(item).startswith("more than 3 files")


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1, "1 byte"), (1023, "1023 bytes"), (1536, "1.5 KB"), (5 * 1024**3, "5.0 GB")],
)
def test_sizes(size: int, text: str) -> None:
    assert format_size(size) == text


def test_the_dialog_counts_a_big_folder_without_holding_the_window(qtbot, tmp_path: Path, vm_factory) -> None:
    tree = make_tree(tmp_path, 5000)
    vm: Vm = vm_factory()
    dialog = CopyToVmDialog(vm, [str(tree)], None, preferences=Preferences())
    qtbot.addWidget(dialog)
    assert dialog.counting()  # nothing counted before the dialog shows: the timer counts, a step at a time
    assert dialog.table.item(0, 1).text().startswith("counting\u2026")
    assert dialog.summary.text().startswith("Counting the files\u2026")
    qtbot.waitUntil(lambda: not dialog.counting())
    assert dialog.table.item(0, 1).text() == f"5,000 files, {format_size(sum(range(5000)))}"
