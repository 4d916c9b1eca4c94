"""The "Key-Value Pairs" tab end to end, against the in-process emulator over loopback (real pypsrp).

Pools shown per section with the guest's text made visible; the Summary's guest name, OS and addresses;
edits applied as one operation (Activity panel) with values arriving byte for byte; the limits checked before
anything is sent; unapplied edits surviving refreshes; a conflict shown before anything is overwritten; the
explanations when KVP cannot work; export and import.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_support import connect, emulated_host, emulated_vm, sent, vm_key
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from qasync_loop import wait_until

from hvgui.domain.kvp_operations import KvpEditOperation
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.inline_message import MessageKind
from hvgui.ui.kvp.conflict_dialog import APPLY_MINE, KEEP_HOST, ConflictDialog
from hvgui.ui.kvp.models import RAW_ROLE, EditColumn
from hvgui.ui.kvp.tab import KvpTab
from hvgui.ui.main_window import MainWindow


@pytest.fixture
def command_log(tmp_path: Path) -> Path:
    return tmp_path / "commands.jsonl"


@pytest.fixture
def emulator(command_log: Path) -> Iterator[RunningEmulator]:
    with start_emulator("demo", command_log=str(command_log)) as running:
        yield running


@pytest.fixture
def window(qtbot, loop) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(w.controller.aclose())


def open_kvp(loop, window: MainWindow, emulator: RunningEmulator, vm_name: str, host: str = "HV-DEMO-01") -> KvpTab:
    key = vm_key(emulator, host, vm_name)
    assert window.select_vm(key)
    window.vm_panel.show_tab("kvp")
    tab = window.vm_panel.kvp
    loop.run_until_complete(wait_until(lambda: tab.pools() is not None, what="the pools"))
    return tab


def host_rows(tab: KvpTab) -> dict[str, str]:
    model = tab.edit_model
    return {model.raw(r, EditColumn.Key): model.raw(r, EditColumn.Value) for r in range(model.rowCount())}


def test_pools_are_shown_per_section_and_the_summary_shows_the_guest(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    guest = emulated_vm(emulator, "HV-DEMO-01", "dc01")
    with emulated_host(emulator, "HV-DEMO-01").model.lock:
        guest.kvp.guest["Motd"] = "line one\nline two \u202eevil"
    tab = open_kvp(loop, window, emulator, "dc01")
    loop.run_until_complete(wait_until(lambda: "Motd" in [p.key for p in tab.guest_model.pairs()], what="Motd"))
    intrinsic = {p.key: p.value for p in tab.intrinsic_model.pairs()}
    assert intrinsic["FullyQualifiedDomainName"] == guest.guest.fqdn
    row = [p.key for p in tab.guest_model.pairs()].index("Motd")
    shown = tab.guest_model.index(row, 1).data()
    assert "\n" not in shown and "\u202e" not in shown and "\u27e8U+202E\u27e9" in shown
    assert tab.guest_model.index(row, 1).data(RAW_ROLE) == "line one\nline two \u202eevil"
    assert host_rows(tab) == {"Role": "Domain controller", "Owner": "Identity team"}
    assert tab.explanation.isHidden()
    summary = window.vm_panel.summary
    assert summary.guest_fqdn.text() == guest.guest.fqdn
    assert summary.guest_os.text().startswith("Windows Server 2022")
    assert guest.guest.ipv4[0] in summary.guest_addresses.text()


def test_edits_are_applied_as_one_operation_and_arrive_byte_for_byte(loop, window, emulator, command_log) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    tab = open_kvp(loop, window, emulator, "sql01")
    tricky = "<x a=\"1\">&amp;</x> '$(whoami)' `t\r\nnext line 😀 \u202eevil"
    index = tab.edit_model.add_row("Config/Json", "")
    tab.edit_model.set_value(index.row(), tricky)
    tab.edit_model.add_row("Owner", "DBA team")
    assert tab.apply_button.isEnabled()
    assert tab.edit_model.row_change(0) == "Added"
    tab.apply_button.click()
    guest = emulated_vm(emulator, "HV-DEMO-01", "sql01")
    loop.run_until_complete(wait_until(lambda: guest.kvp.host_items.get("Owner") == "DBA team", what="the change"))
    assert guest.kvp.host_items["Config/Json"] == tricky and guest.kvp.external["Config/Json"] == tricky
    loop.run_until_complete(wait_until(lambda: not tab.edit_model.is_dirty(), what="the reload"))
    assert host_rows(tab)["Config/Json"] == tricky
    records = [r for r in window.vm_actions.records() if isinstance(r.operation, KvpEditOperation)]
    assert len(records) == 1 and records[0].operation.title == "Apply 2 key-value pair changes to 'sql01'"
    assert len(sent(command_log, "Set-HvGuiKvpItems")) == 1
    # Removing one marks it; Apply removes it on the host.
    row = list(host_rows(tab)).index("Owner")
    tab.host_view.selectRow(row)
    tab.remove_button.click()
    assert tab.edit_model.row_change(row) == "Removed"
    tab.apply()
    loop.run_until_complete(wait_until(lambda: "Owner" not in guest.kvp.host_items, what="the removal"))


def test_limits_are_checked_before_anything_is_sent(loop, window, emulator, command_log) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    tab = open_kvp(loop, window, emulator, "sql01")
    tab.edit_model.add_row("Big", "v" * 1024)
    tab.apply()
    assert tab.message.kind() is MessageKind.Error
    assert "'Big'" in tab.message.text() and "at most 1,023" in tab.message.text()
    tab.edit_model.add_row("Big", "x")
    tab.edit_model.toggle_removed([tab.edit_model.rowCount() - 2])  # drop the too-long one (a new row)
    tab.edit_model.add_row("big", "y")
    tab.apply()
    assert "unique" in tab.message.text()
    assert sent(command_log, "Set-HvGuiKvpItems") == []
    exact = tab.edit_model.rowCount() - 1
    tab.edit_model.toggle_removed([exact])
    tab.edit_model.set_value(tab.edit_model.rowCount() - 1, "v" * 1023)
    tab.apply()
    guest = emulated_vm(emulator, "HV-DEMO-01", "sql01")
    loop.run_until_complete(wait_until(lambda: guest.kvp.host_items.get("Big") == "v" * 1023, what="the exact limit"))


def test_unapplied_edits_survive_refreshes_and_a_conflict_is_shown_first(loop, qtbot, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    tab = open_kvp(loop, window, emulator, "dc01")
    owner = list(host_rows(tab)).index("Owner")
    tab.edit_model.set_value(owner, "Me")
    guest = emulated_vm(emulator, "HV-DEMO-01", "dc01")
    with emulated_host(emulator, "HV-DEMO-01").model.lock:
        guest.kvp.host_items["Owner"] = "Someone else"
        guest.kvp.host_items["Extra"] = "added on the host"
    tab.refresh()
    loop.run_until_complete(wait_until(lambda: tab.edit_model.host_now is not None, what="a refresh"))
    assert host_rows(tab)["Owner"] == "Me" and "Extra" not in host_rows(tab)  # the edit is still there
    assert tab.message.kind() is MessageKind.Warning
    tab.apply()
    loop.run_until_complete(
        wait_until(lambda: QApplication.activeModalWidget() is not None or _dialog() is not None, what="the dialog")
    )
    dialog = _dialog()
    assert "Someone else" in dialog.details.toPlainText() and "Me" in dialog.details.toPlainText()
    assert guest.kvp.host_items["Owner"] == "Someone else"  # nothing sent yet
    dialog.findChild(type(dialog.host), KEEP_HOST).click()
    assert host_rows(tab)["Owner"] == "Someone else" and not tab.edit_model.is_dirty()
    # Edit again; the host changes again; this time the admin's value wins.
    tab.edit_model.set_value(list(host_rows(tab)).index("Owner"), "Me")
    with emulated_host(emulator, "HV-DEMO-01").model.lock:
        guest.kvp.host_items["Owner"] = "Third party"
    tab.apply()
    loop.run_until_complete(wait_until(lambda: _dialog() is not None, what="the dialog"))
    _dialog().findChild(type(_dialog().mine), APPLY_MINE).click()
    loop.run_until_complete(wait_until(lambda: guest.kvp.host_items["Owner"] == "Me", what="the admin's value"))
    assert guest.kvp.host_items["Extra"] == "added on the host"  # a pair nobody edited here is left alone


def _dialog() -> ConflictDialog | None:
    found = [w for w in QApplication.allWidgets() if isinstance(w, ConflictDialog) and w.isVisible()]
    return found[0] if found else None


def test_why_kvp_cannot_work_is_explained(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    tab = open_kvp(loop, window, emulator, "web02")
    assert not tab.explanation.isHidden() and "hv_kvp_daemon" in tab.explanation.text()
    assert tab.intrinsic_model.rowCount() == 0 and host_rows(tab) == {"Environment": "staging"}
    tab = open_kvp(loop, window, emulator, "legacy-app")
    loop.run_until_complete(wait_until(lambda: tab.pools().name == "legacy-app", what="legacy-app"))
    assert "not running" in tab.explanation.text()


def test_export_and_import(loop, window, emulator, tmp_path) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    tab = open_kvp(loop, window, emulator, "dc01")
    tab.export_to(str(tmp_path / "dc01.json"), "json")
    tab.export_to(str(tmp_path / "dc01.csv"), "csv")
    document = json.loads((tmp_path / "dc01.json").read_text(encoding="utf-8"))
    assert document["vm"]["name"] == "dc01"
    assert {"key": "Owner", "value": "Identity team"} in document["pools"]["host_to_guest"]
    assert "intrinsic,FullyQualifiedDomainName," in (tmp_path / "dc01.csv").read_text(encoding="utf-8")
    (tmp_path / "import.json").write_text(json.dumps({"Owner": "Imported", "New": "a\nb"}), encoding="utf-8")
    tab.import_from(str(tmp_path / "import.json"))
    assert host_rows(tab)["Owner"] == "Imported" and host_rows(tab)["New"] == "a\nb" and tab.edit_model.is_dirty()
    (tmp_path / "bad.json").write_text(json.dumps({"K": "v" * 2000}), encoding="utf-8")
    tab.revert()
    tab.import_from(str(tmp_path / "bad.json"))
    assert tab.message.kind() is MessageKind.Error and not tab.edit_model.is_dirty()
    assert Qt  # keyboard: the tab's actions have accessible names
    assert tab.apply_button.accessibleName() == "Apply" and tab.host_view.accessibleName()


def test_keyboard_adds_a_pair_and_the_value_editor_keeps_line_breaks(loop, qtbot, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    tab = open_kvp(loop, window, emulator, "sql01")
    tab.host_view.setFocus()
    qtbot.keyClick(tab.host_view, Qt.Key.Key_Insert)  # a new row, its key being edited
    assert tab.edit_model.rowCount() == 1 and tab.edit_model.row_change(0) == "Added"
    editor_line = tab.host_view.indexWidget(tab.edit_model.index(0, EditColumn.Key)) or tab.host_view.findChild(
        QLineEdit
    )
    assert isinstance(editor_line, QLineEdit)
    qtbot.keyClicks(editor_line, "Notes")
    qtbot.keyClick(editor_line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.edit_model.raw(0, EditColumn.Key) == "Notes")  # the view commits queued
    tab.host_view.selectRow(0)
    tab.edit_value_button.click()
    editor = tab.value_editor
    editor.editor.setPlainText("first\nsecond")
    editor.accept()
    assert tab.edit_model.raw(0, EditColumn.Value) == "first\nsecond"
    cell = tab.edit_model.index(0, EditColumn.Value)
    assert cell.data() == "first\u23cesecond"  # one line in the cell, the raw text kept for Apply
    assert not (tab.edit_model.flags(cell) & Qt.ItemFlag.ItemIsEditable)  # edited in the value editor only
    qtbot.keyClick(tab.host_view, Qt.Key.Key_Delete)
    assert tab.edit_model.rowCount() == 0 and not tab.apply_button.isEnabled()
