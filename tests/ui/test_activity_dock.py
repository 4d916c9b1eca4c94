"""The Activity dock, driven like an admin: select, cancel, copy, clear, by button, menu and keyboard."""

from __future__ import annotations

from activity_support import OperationFeed, shutdown_record, target
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtWidgets import QMainWindow, QStyleOptionViewItem

from hvgui.domain.errors import HostCommandError
from hvgui.domain.operations import (
    OperationProgress,
    OperationRecord,
    OperationState,
    PowerOperation,
    ServiceToggleOperation,
)
from hvgui.domain.power import PowerAction
from hvgui.ui.activity import ActivityDock
from hvgui.ui.activity.delegate import BAR_WIDTH, progress_option, progress_rects
from hvgui.ui.activity.details import NOT_CANCELLABLE_NOTE
from hvgui.ui.activity.model import ActivityColumn

_windows: list[QMainWindow] = []  # qtbot holds widgets weakly; a dropped window would take its dock along


def _dock(qtbot, feed: OperationFeed) -> ActivityDock:
    _windows.clear()
    window = QMainWindow()
    _windows.append(window)
    qtbot.addWidget(window)
    dock = ActivityDock(window, host_label=lambda host: "HV01 (lab)" if "hv01" in host else "", now=lambda: 2000.0)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.attach(feed)
    window.resize(1000, 400)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # the dock's keys are shortcuts: they need the active window
    return dock


def test_attach_shows_earlier_records_and_follows_changes(qtbot) -> None:
    earlier = shutdown_record("web01", n=1, state=OperationState.Running, started_at=1990.0)
    feed = OperationFeed([earlier])
    dock = _dock(qtbot, feed)
    assert [r.op_id for r in dock.model.records()] == [earlier.op_id]
    later = feed.publish(shutdown_record("db01", n=2))
    assert [r.op_id for r in dock.model.records()] == [later.op_id, earlier.op_id]
    feed.publish(earlier.advanced(progress=OperationProgress(None, "Waiting for the guest")))
    assert dock.model.index(1, 3).data() == "Waiting for the guest"
    dock.view.grab()  # the progress delegate paints a busy bar for it, and text for the queued one


def test_cancel_only_where_the_host_can_still_cancel_and_says_why_not(qtbot) -> None:
    queued = shutdown_record("web01", n=1)
    job = shutdown_record("db01", n=2, state=OperationState.Running, started_at=1990.0, cancellable=False)
    feed = OperationFeed([queued, job])
    dock = _dock(qtbot, feed)

    dock.select_operations([job.op_id])
    assert not dock.cancel_action.isEnabled()
    assert dock.cancel_action.toolTip() == NOT_CANCELLABLE_NOTE
    assert dock.note.text() == NOT_CANCELLABLE_NOTE
    assert not dock.buttons["activityCancel"].isEnabled()

    dock.select_operations([queued.op_id])
    assert dock.cancel_action.isEnabled() and dock.note.text() == ""
    dock.view.setFocus()
    qtbot.keyClick(dock.view, Qt.Key.Key_Delete)
    assert feed.cancelled == [queued.op_id]

    dock.select_operations([queued.op_id, job.op_id])
    qtbot.mouseClick(dock.buttons["activityCancel"], Qt.MouseButton.LeftButton)
    assert feed.cancelled == [queued.op_id, queued.op_id]  # the running job is left alone

    feed.publish(queued.advanced(state=OperationState.Cancelled, message="Cancelled before it reached the host."))
    dock.select_operations([queued.op_id])
    assert not dock.cancel_action.isEnabled()


def test_copy_as_powershell_groups_the_selection_per_host(qtbot) -> None:
    on_hv01 = OperationRecord(
        ServiceToggleOperation(
            target("dc01", n=1),
            ic_guid="2497f4de-e9fa-4204-80e4-4b75c46419c0",
            enable=False,
            service_name="Time Synchronization",
        )
    )
    on_hv02 = OperationRecord(
        PowerOperation(
            target("dc01", host="https://hv02:5986", computer_name="hv02.lab.test", n=2), PowerAction.ShutDown
        )
    )
    feed = OperationFeed([on_hv01, on_hv02])
    dock = _dock(qtbot, feed)
    dock.select_operations([on_hv01.op_id, on_hv02.op_id])
    dock.view.setFocus()
    qtbot.keyClick(dock.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QGuiApplication.clipboard().text()
    assert text == (
        "# hv01\n"
        "Get-VM -ComputerName 'hv01' -Id '11111111-2222-4333-8444-000000000001' | Get-VMIntegrationService | "
        "Where-Object { $_.Id -like '*\\2497F4DE-E9FA-4204-80E4-4B75C46419C0' } | Disable-VMIntegrationService\n\n"
        "# hv02.lab.test\n"
        "Get-VM -ComputerName 'hv02.lab.test' -Id '11111111-2222-4333-8444-000000000002' | Stop-VM"
    )
    assert dock.note.text() == "Copied 2 commands as PowerShell."
    assert dock.model.index(1, 1).data() == "HV01 (lab)" and dock.model.index(0, 1).data() == "hv02.lab.test"


def test_failed_operations_keep_their_full_error_in_details_and_copy(qtbot) -> None:
    error = HostCommandError(
        "The virtual machine could not shut down.",
        fully_qualified_error_id="OperationFailed,Microsoft.HyperV.PowerShell.Commands.StopVM",
        category="NotSpecified",
        target="web01\x07",
        hint="Turn it off, or shut it down from inside the guest.",
    )
    failed = shutdown_record(
        "web01",
        n=1,
        state=OperationState.Failed,
        started_at=1900.0,
        ended_at=1960.0,
        error=error,
        warnings=("The guest ignored the request\x1b",),
    )
    feed = OperationFeed([failed])
    dock = _dock(qtbot, feed)
    dock.select_operations([failed.op_id])
    details = dock.details.toPlainText()
    for line in (
        "Shut down 'web01'",
        "Host: HV01 (lab)",
        "State: Failed",
        "Error: The virtual machine could not shut down.",
        "What to do: Turn it off, or shut it down from inside the guest.",
        "Host error id: OperationFailed,Microsoft.HyperV.PowerShell.Commands.StopVM",
        "Category: NotSpecified",
        "Target: web01\u2407",
        "Warning: The guest ignored the request\u241b",
        "PowerShell: Get-VM -ComputerName 'hv01' -Id '11111111-2222-4333-8444-000000000001' | Stop-VM",
    ):
        assert line in details.splitlines(), line
    assert "took 1 min 00 s" in details
    dock.view.setFocus()
    qtbot.keyClick(dock.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().text() == details
    # In the details pane Ctrl+C copies the selected text, not the operation.
    dock.details.setFocus()
    dock.details.selectAll()
    qtbot.keyClick(dock.details, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == details
    qtbot.keyClick(dock.details, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(dock.details, Qt.Key.Key_End, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(dock.details, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "Shut down 'web01'"


def test_context_menu_offers_every_action_and_clear_finished_keeps_running_ones(qtbot) -> None:
    done = shutdown_record(
        "a", n=1, state=OperationState.Succeeded, started_at=1001.0, ended_at=1002.0, message="Shut down 'a'."
    )
    still = shutdown_record("b", n=2, state=OperationState.StillRunning, started_at=1001.0, cancellable=False)
    feed = OperationFeed([done, still])
    dock = _dock(qtbot, feed)
    dock.select_operations([done.op_id])
    menu = dock.build_context_menu()
    assert [a.text() for a in menu.actions() if a.text()] == [
        "Cancel",
        "Retry",
        "Copy as PowerShell",
        "Copy details",
        "Dismiss",
        "Clear finished",
    ]
    menu.close()
    assert dock.clear_action.isEnabled()
    dock.view.setFocus()
    qtbot.keyClick(
        dock.view, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert [r.op_id for r in dock.model.records()] == [still.op_id]
    assert "Shut down 'a'" not in dock.details.toPlainText()  # the selected one is gone
    assert not dock.clear_action.isEnabled()
    # Settling: the runner reports the job done and the row turns Succeeded where it is.
    feed.publish(still.advanced(state=OperationState.Succeeded, ended_at=1050.0, message="Shut down 'b'."))
    assert dock.model.index(0, 2).data() == "Succeeded"
    assert dock.model.index(0, 4).data() == "49 s"


def test_the_progress_bar_is_busy_until_the_host_gives_a_percent(qtbot) -> None:
    option = QStyleOptionViewItem()
    busy = progress_option(option, None)
    assert (busy.minimum, busy.maximum, busy.textVisible) == (0, 0, False)
    known = progress_option(option, 140)
    assert (known.minimum, known.maximum, known.progress, known.textVisible) == (0, 100, 100, False)


def test_the_progress_text_stands_beside_a_short_bar_never_across_it(qtbot) -> None:
    """Text drawn over a bar, half on its filled part, was hard to read; a long one did not fit the bar."""
    bar, text = progress_rects(QRect(0, 0, 240, 24))
    assert bar.width() == BAR_WIDTH and text.left() > bar.right() and text.right() == 239
    narrow_bar, narrow_text = progress_rects(QRect(0, 0, 90, 24))
    assert narrow_bar.width() == 28 and narrow_text.width() >= 50  # a narrow column still has room for words

    running = shutdown_record(
        state=OperationState.Running, started_at=1990.0, progress=OperationProgress(60, "Shut down a virtual machine")
    )
    dock = _dock(qtbot, OperationFeed([running]))
    index = dock.model.index(0, ActivityColumn.Progress)
    image = QImage(240, 24, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 240, 24)
    option.palette = dock.view.palette()
    option.font = dock.view.font()
    option.fontMetrics = dock.view.fontMetrics()
    painter = QPainter(image)
    dock.view.itemDelegateForColumn(ActivityColumn.Progress).paint(painter, option, index)
    painter.end()

    def filled(x: int, y: int) -> bool:  # the bar's chunk: the palette's highlight, far from text grey
        colour = image.pixelColor(x, y)
        return colour.blue() - colour.red() > 60

    middle = 12
    assert filled(bar.left() + 4, middle)  # 60 % of the bar is filled
    assert not any(filled(x, y) for x in range(text.left(), 240) for y in range(24))  # no bar under the text
    dark = [x for x in range(text.left(), 240) for y in range(24) if image.pixelColor(x, y).lightness() < 110]
    assert dark and min(dark) < text.left() + 12  # the text starts right beside the bar
