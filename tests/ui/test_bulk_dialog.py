"""The bulk dialog without hosts: the preview, the confirmation, the keyboard, and an apply nobody can receive."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from qasync_loop import wait_until

from hvgui.domain.bulk import ALL_ON, ALL_ON_EXCEPT_TIMESYNC_FOR_DCS, ResultKind, confirm_text
from hvgui.domain.integration import GUEST_SERVICE_INTERFACE, HEARTBEAT, SHUTDOWN, TIME_SYNC
from hvgui.domain.vm import Vm
from hvgui.ui.bulk import BulkApplyController, BulkServicesDialog, Outcome
from hvgui.ui.bulk.matrix_model import ChangeRole, DesiredRole
from hvgui.ui.bulk.preview import HIGH_IMPACT_COLOUR

GSI = GUEST_SERVICE_INTERFACE.ic_guid
TS = TIME_SYNC.ic_guid
HB = HEARTBEAT.ic_guid
SD = SHUTDOWN.ic_guid


@pytest.fixture
def vms(vm_factory) -> list[Vm]:
    hb_off = vm_factory("jump", host="HV02", guest_product_type=1)
    hb_off = replace(
        hb_off,
        integration_services=tuple(
            replace(s, enabled=False) if s.ic_guid == HB else s for s in hb_off.integration_services
        ),
    )
    return [vm_factory("dc01", guest_product_type=2), vm_factory("sql01", guest_product_type=3), hb_off]


@pytest.fixture
def dialog(qtbot, vms) -> BulkServicesDialog:
    controller = BulkApplyController(lambda _host: None)  # no host is connected
    d = BulkServicesDialog(
        vms,
        controller,
        host_label={"HV01": "Host one", "HV02": "Host two"}.get,
        computer_name={"HV01": "hv01.lab.test", "HV02": "hv02.lab.test"}.__getitem__,
    )
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


def test_the_preview_lists_exactly_the_changes_with_their_warnings(dialog, vms) -> None:
    assert dialog.preview.item_texts() == []
    assert dialog.preview.heading.text().startswith("Nothing to change")
    assert not dialog.apply_button.isEnabled()
    notes = dialog.use_baseline(ALL_ON_EXCEPT_TIMESYNC_FOR_DCS)
    assert notes == []  # every VM's role is known
    texts = dialog.preview.item_texts()
    # nothing unchanged is listed: sql01 keeps time sync, jump's services other than GSI/heartbeat are on already
    assert [change for change, _impact in texts] == [
        "Enable Guest Service Interface on 'dc01'",
        "Disable Time Synchronization on 'dc01'",
        "Enable Guest Service Interface on 'sql01'",
        "Enable Guest Service Interface on 'jump'",
        "Enable Heartbeat on 'jump'",
    ]
    impacts = dict(texts)
    assert impacts["Disable Time Synchronization on 'dc01'"].startswith("Impact: High.")
    assert "domain controller" in impacts["Disable Time Synchronization on 'dc01'"]
    assert impacts["Enable Guest Service Interface on 'dc01'"] == ""
    assert dialog.preview.heading.text() == "Apply will make 5 changes on 3 VMs:"
    # the High-impact disable is highlighted, and the question Apply will ask is shown beforehand
    risky = dialog.preview.tree.topLevelItem(1)
    assert risky.foreground(0).color().name() == HIGH_IMPACT_COLOUR and risky.font(0).bold()
    assert dialog.preview.tree.topLevelItem(0).font(0).bold() is False
    assert dialog.preview.warning.isVisible()
    assert dialog.preview.warning.text() == confirm_text(dialog.plan())
    assert "Kerberos" in dialog.preview.warning.text()
    assert dialog.apply_button.text() == "&Apply 5 changes" and dialog.apply_button.isEnabled()
    assert dialog.tabs.tabText(dialog.preview_tab) == "&Preview (5)"
    # "Copy as PowerShell": one command per change, grouped per host, each VM by its Id on its host
    dialog.preview.copy_button.click()
    groups = QApplication.clipboard().text().split("\n\n")
    assert [group.splitlines()[0] for group in groups] == ["# hv01.lab.test", "# hv02.lab.test"]
    assert [len(group.splitlines()) for group in groups] == [4, 3]
    dc01 = f"Get-VM -ComputerName 'hv01.lab.test' -Id '{vms[0].vm_id}'"
    assert groups[0].splitlines()[2] == (
        f"{dc01} | Get-VMIntegrationService | Where-Object {{ $_.Id -like '*\\{TS.upper()}' }} | "
        "Disable-VMIntegrationService"
    )
    assert all(f"-ComputerName 'hv02.lab.test' -Id '{vms[2].vm_id}'" in line for line in groups[1].splitlines()[1:])
    assert "As PowerShell: " + dc01 in dialog.preview.tree.topLevelItem(1).toolTip(0)
    # undoing the one High-impact change removes the warning
    dialog.model.set_desired(vms[0].key, TS, None)
    assert not dialog.preview.warning.isVisible()
    assert len(dialog.preview.item_texts()) == 4


def test_baseline_notes_are_shown(qtbot, vm_factory) -> None:
    d = BulkServicesDialog([vm_factory("mystery", guest_product_type=None)], BulkApplyController(lambda _h: None))
    qtbot.addWidget(d)
    d.show()
    notes = d.use_baseline(ALL_ON_EXCEPT_TIMESYNC_FOR_DCS)
    assert len(notes) == 1 and "'mystery'" in notes[0]
    assert d.preview.notes.isVisible() and d.preview.notes.text() == notes[0]
    d.reset()
    assert not d.preview.notes.isVisible()


def test_disabling_a_high_impact_service_asks_first(loop, qtbot, dialog, vms) -> None:
    dialog.model.set_desired(vms[1].key, SD, False)
    box = dialog.apply()
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.text() == confirm_text(dialog.plan())
    assert "Turn Off" in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    box.button(QMessageBox.StandardButton.No).click()
    assert not dialog.is_applying()
    assert dialog.results_model.rowCount() == 0
    assert dialog.model.plan()[0].ic_guid == SD  # the edit is kept

    box = dialog.apply()
    box.button(QMessageBox.StandardButton.Yes).click()

    async def finished() -> None:
        await wait_until(lambda: dialog.last_results(), what="the results")

    loop.run_until_complete(finished())
    (result,) = dialog.last_results()
    assert result.kind is ResultKind.NotAttempted
    assert "hvgui is not connected to HV01" in result.message


def test_an_apply_no_host_can_receive_is_reported_row_by_row(loop, dialog, vms) -> None:
    dialog.use_baseline(ALL_ON)
    plan = dialog.plan()
    assert dialog.apply() is None  # nothing High-impact is disabled: no question

    async def finished() -> None:
        await wait_until(lambda: not dialog.is_applying() and dialog.last_results(), what="the results")

    loop.run_until_complete(finished())
    assert dialog.results_model.changes() == plan
    assert dialog.results_model.outcomes() == [Outcome.NotAttempted] * len(plan)
    assert dialog.tabs.currentIndex() == dialog.results_tab
    assert dialog.progress.value() == dialog.progress.maximum() == len(plan)
    assert dialog.summary.text() == f"0 changes made, {len(plan)} not attempted."
    row = dialog.results_model.index(0, 5).data()
    assert row.startswith("Enable Guest Service Interface on 'dc01' was not attempted: hvgui is not connected")
    # the matrix is editable again and its cells carry the result
    assert not dialog.model.locked
    first = dialog.model.cell(vms[0].key, GSI)
    assert "was not attempted" in first.data(Qt.ItemDataRole.ToolTipRole)
    assert first.data(DesiredRole) is True


def test_the_dialog_works_with_the_keyboard(qtbot, dialog, vms) -> None:
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    # Alt+L goes to the baseline list; choose "All on" with the arrow keys; Alt+U uses it
    QTest.keyClick(dialog, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
    assert dialog.baseline_combo.hasFocus()
    while dialog.baseline_combo.currentData() != ALL_ON.key:
        QTest.keyClick(dialog.baseline_combo, Qt.Key.Key_Down)
    QTest.keyClick(dialog, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)  # buttons click 100 ms later
    qtbot.waitUntil(lambda: len(dialog.plan()) == 4)  # GSI on three VMs, heartbeat on jump
    # Alt+M to the matrix, Space on the current cell (dc01's GSI) undoes that change
    QTest.keyClick(dialog, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    assert dialog.matrix.hasFocus()
    dialog.matrix.setCurrentIndex(dialog.model.cell(vms[0].key, GSI))
    QTest.keyClick(dialog.matrix, Qt.Key.Key_Space)
    assert len(dialog.plan()) == 3
    # Alt+F switches the selected cells off: sql01's Shutdown
    dialog.matrix.setCurrentIndex(dialog.model.cell(vms[1].key, SD))
    QTest.keyClick(dialog, Qt.Key.Key_F, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.model.cell(vms[1].key, SD).data(DesiredRole) is False)
    # Enter in the matrix never applies
    dialog.matrix.setFocus()
    QTest.keyClick(dialog.matrix, Qt.Key.Key_Return)
    assert not dialog.is_applying() and dialog.isVisible()
    # Alt+R resets everything
    QTest.keyClick(dialog, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.plan() == [])
    assert dialog.model.cell(vms[1].key, SD).data(ChangeRole).value == "keep"


def test_qtmodeltester_passes_on_the_results_model(qtmodeltester, loop, dialog) -> None:
    dialog.use_baseline(ALL_ON)
    dialog.apply()
    loop.run_until_complete(wait_until(lambda: dialog.last_results(), what="the results"))
    assert dialog.results_model.rowCount() == 4
    qtmodeltester.check(dialog.results_model, force_py=True)
    qtmodeltester.check(dialog.results_model)


def discard_question(dialog: BulkServicesDialog) -> QMessageBox | None:
    shown = [b for b in dialog.findChildren(QMessageBox, "bulkDiscard") if b.isVisible()]
    assert len(shown) <= 1
    return shown[0] if shown else None


def test_closing_with_changes_not_applied_asks_first(qtbot, dialog, vms) -> None:
    closed: list[int] = []
    dialog.finished.connect(closed.append)
    dialog.matrix.setFocus()
    dialog.matrix.setCurrentIndex(dialog.model.cell(vms[0].key, GSI))
    QTest.keyClick(dialog.matrix, Qt.Key.Key_Space)
    assert len(dialog.plan()) == 1
    # Esc asks; Cancel keeps the dialog and the edit
    QTest.keyClick(dialog.matrix, Qt.Key.Key_Escape)
    box = discard_question(dialog)
    assert box is not None
    assert "1 change is not applied" in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert dialog.isVisible() and closed == [] and len(dialog.plan()) == 1
    # the Close button asks too; Discard closes
    dialog.close_button.click()
    box = discard_question(dialog)
    assert box is not None
    box.button(QMessageBox.StandardButton.Discard).click()
    assert not dialog.isVisible() and closed == [int(QDialog.DialogCode.Rejected)]


def test_closing_with_nothing_pending_does_not_ask(qtbot, dialog) -> None:
    dialog.matrix.setFocus()
    QTest.keyClick(dialog.matrix, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert discard_question(dialog) is None
