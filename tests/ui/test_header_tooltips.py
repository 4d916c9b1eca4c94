"""Column headers show their tooltips (through the window's tooltip shaping, like every other tooltip)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QTableView, QToolTip

from hvgui.ui.models.vm_table import Column, VmTableModel
from hvgui.ui.safe_display import install_tooltip_shaping


def test_a_header_shows_its_columns_tooltip(qtbot) -> None:
    install_tooltip_shaping()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(VmTableModel())
    view.resize(1000, 300)
    view.show()
    qtbot.waitExposed(view)
    header = view.horizontalHeader()
    point = QPoint(header.sectionViewportPosition(Column.Memory) + 5, 5)
    event = QHelpEvent(QEvent.Type.ToolTip, point, header.viewport().mapToGlobal(point))
    QApplication.sendEvent(header.viewport(), event)
    qtbot.waitUntil(QToolTip.isVisible)
    assert "Memory assigned to the VM now" in QToolTip.text()
    QToolTip.hideText()
