"""The KVP history end to end: the Key-Value Pairs tab's reads of a VM on the emulator (real pypsrp over
loopback) become snapshots in the history file, and History… shows what changed, guest text made visible."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_support import connect, emulated_host, emulated_vm, vm_key
from history_window_support import close, history_window
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from qasync_loop import wait_until

from hvgui.domain.kvp import Pool
from hvgui.domain.kvp_history import DiffKind
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.ui.kvp.history_dialog import KvpHistoryDialog
from hvgui.ui.kvp.history_model import ABSENT, DiffColumn
from hvgui.ui.kvp.models import RAW_ROLE

EVIL = "Failed: disk \u202eevil\nsee log"


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo") as running:
        yield running


@pytest.fixture
def setup(qtbot, loop, tmp_path: Path):
    window, history = history_window(
        qtbot, tmp_path / "history.sqlite", refresh_interval=0.5, connect_timeout=5, operation_timeout=10
    )
    yield window, history
    loop.run_until_complete(window.controller.aclose())
    close(history)


def snapshot_count(history, key) -> int:
    history.store.flush()
    return len(history.queries.reader.kvp_snapshots(key.host, key.vm_id))


def diff_rows(dialog: KvpHistoryDialog) -> list[tuple[str, ...]]:
    model = dialog.model
    return [tuple(model.index(r, c).data() for c in range(model.columnCount())) for r in range(model.rowCount())]


def test_reads_become_snapshots_and_history_shows_what_changed(loop, setup, emulator) -> None:
    window, history = setup
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    key = vm_key(emulator, "HV-DEMO-01", "dc01")
    assert window.select_vm(key)
    window.vm_panel.show_tab("kvp")
    tab = window.vm_panel.kvp
    loop.run_until_complete(wait_until(lambda: tab.pools() is not None, what="the pools"))
    assert tab.history_button.isVisible() and tab.history_button.isEnabled()
    assert snapshot_count(history, key) == 1
    tab.refresh()  # the same pools again: no new snapshot
    loop.run_until_complete(wait_until(lambda: tab.status.text().startswith("Read"), what="the refresh"))
    assert snapshot_count(history, key) == 1

    # Guest software rewrites a guest-to-host value; the tab's refresh sees it.
    guest = emulated_vm(emulator, "HV-DEMO-01", "dc01")
    with emulated_host(emulator, "HV-DEMO-01").model.lock:
        guest.kvp.guest["BackupAgent/Result"] = EVIL
    tab.refresh()
    loop.run_until_complete(
        wait_until(lambda: EVIL in [p.value for p in tab.guest_model.pairs()], what="the guest's new value")
    )
    assert snapshot_count(history, key) == 2

    # A host-to-guest pair added through the tab: the reload after Apply is the third snapshot.
    tab.edit_model.add_row("Patch/Window", "Sunday 02:00")
    tab.apply_button.click()
    loop.run_until_complete(wait_until(lambda: guest.kvp.host_items.get("Patch/Window") == "Sunday 02:00"))
    loop.run_until_complete(wait_until(lambda: not tab.edit_model.is_dirty(), what="the reload"))
    loop.run_until_complete(wait_until(lambda: snapshot_count(history, key) == 3, what="the third snapshot"))

    # History… from the keyboard: since yesterday is, for a history this young, since its first snapshot.
    tab.host_view.setFocus()
    QTest.keyClick(tab.host_view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = tab.history_dialog
    assert isinstance(dialog, KvpHistoryDialog)
    loop.run_until_complete(wait_until(lambda: dialog.shown is not None, what="the diff"))
    assert dialog.times.count() == 3 and dialog.times.item(0).text().endswith("(latest)")
    assert dialog.from_box.currentIndex() == 2 and dialog.to_box.currentIndex() == 0
    rows = diff_rows(dialog)
    assert rows == [
        (
            "Guest software",
            "Changed",
            "BackupAgent/Result",
            "Success",
            "Failed: disk \u27e8U+202E\u27e9evil\u23cesee log",
        ),
        ("Host \u2192 guest", "Added", "Patch/Window", ABSENT, "Sunday 02:00"),
    ]
    assert dialog.model.index(0, DiffColumn.After).data(RAW_ROLE) == EVIL
    assert "\u202e" not in (dialog.model.index(0, DiffColumn.After).data(Qt.ItemDataRole.ToolTipRole) or "")
    assert dialog.summary.text() == "1 added, 0 removed, 1 changed"
    [change] = [c for c in dialog.model.changes() if c.pool is Pool.HostToGuest]
    assert change.kind is DiffKind.Added

    # The middle snapshot chosen in the list with the arrow keys: only the host's edit came after it. (A plain
    # key also ends the Ctrl+Shift that QTest leaves in the application's modifier state.)
    dialog.times.setFocus()
    assert dialog.times.currentRow() == 2  # the list shows the From snapshot
    QTest.keyClick(dialog.times, Qt.Key.Key_Up)
    assert QGuiApplication.keyboardModifiers() == Qt.KeyboardModifier.NoModifier
    loop.run_until_complete(wait_until(lambda: len(diff_rows(dialog)) == 1, what="the narrower diff"))
    assert diff_rows(dialog)[0][2] == "Patch/Window"
    # From = To says so; Since yesterday brings the default back.
    QTest.keyClick(dialog.times, Qt.Key.Key_Up)
    assert dialog.summary.text().startswith("From and To are the same")
    dialog.yesterday_button.click()
    loop.run_until_complete(wait_until(lambda: len(diff_rows(dialog)) == 2, what="the default again"))
    dialog.close()
