"""The guest browser's tree model on its own: a "Loading…" row while a folder is listed, rows in its place when
the listing arrives, the placeholder gone (and the folder askable again) when it fails, safe names and raw
paths."""

from __future__ import annotations

import datetime

from PySide6.QtCore import QModelIndex, Qt

from hvgui.domain.guest_files import GuestDrive, GuestEntry, GuestFolder
from hvgui.ui.copy.guest_tree import LOADING, GuestTreeModel, IsFolderRole, PathRole

WHEN = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def _names(model: GuestTreeModel, parent: QModelIndex = QModelIndex()) -> list[str]:  # noqa: B008
    return [model.index(row, 0, parent).data() for row in range(model.rowCount(parent))]


def test_folders_are_listed_when_asked_with_a_placeholder_meanwhile(qtmodeltester) -> None:
    model = GuestTreeModel()
    asked: list[str] = []
    model.loadRequested.connect(asked.append)
    model.start()
    assert asked == [""] and _names(model) == [LOADING]
    model.apply_listing("", GuestFolder("", drives=(GuestDrive("C", "C:\\", 1, 2),)))
    assert _names(model) == ["C:"]
    drive = model.index(0, 0)
    assert model.hasChildren(drive) and model.rowCount(drive) == 0  # not listed yet
    assert model.request(drive) and asked == ["", "C:\\"] and _names(model, drive) == [LOADING]
    assert not model.request(drive)  # already loading: asked once
    entries = (
        GuestEntry("z file.txt", "C:\\z file.txt", False, 2048, WHEN),
        GuestEntry("evil\u202etxt.exe", "C:\\evil\u202etxt.exe", False, 1, WHEN, hidden=True),
        GuestEntry("A folder", "C:\\A folder", True, None, WHEN),
    )
    model.apply_listing("c:\\", GuestFolder("C:\\", entries=entries, truncated=True))
    names = _names(model, drive)
    assert names[:3] == ["A folder", "z file.txt", "evil\u27e8U+202E\u27e9txt.exe"]  # folders first, else as sent
    assert names[3].startswith("Only the first 3 entries are shown")
    evil = model.index(2, 0, drive)
    assert evil.data(PathRole) == "C:\\evil\u202etxt.exe" and not evil.data(IsFolderRole)
    assert "hidden" in evil.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, 1, drive).data() == "2.0 KB"
    qtmodeltester.check(model)

    folder = model.find("c:\\a FOLDER\\")
    assert folder.isValid() and folder.data(PathRole) == "C:\\A folder"
    model.request(folder)
    model.apply_failure("C:\\A folder")
    assert model.rowCount(folder) == 0 and model.hasChildren(folder)  # can be asked again
    assert model.request(folder)
    qtmodeltester.check(model)


def test_a_listing_that_arrives_after_a_refresh_started_again_is_not_lost_or_doubled() -> None:
    model = GuestTreeModel()
    model.start()
    model.refresh(QModelIndex())  # still loading: nothing happens
    assert _names(model) == [LOADING]
    model.apply_listing("", GuestFolder("", drives=(GuestDrive("C", "C:\\", 1, 2), GuestDrive("D", "D:\\", 1, 2))))
    model.apply_listing("", GuestFolder("", drives=(GuestDrive("E", "E:\\", 1, 2),)))  # nobody asked: ignored
    assert _names(model) == ["C:", "D:"]
    model.refresh(QModelIndex())
    assert _names(model) == [LOADING] and not model.find("C:\\").isValid()
