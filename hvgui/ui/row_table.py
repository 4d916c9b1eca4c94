"""The look every list in the window shares: whole rows, no grid, one line per row, left-aligned headers.

The VM table, the services and checkpoints tabs, the summary's service list and the Activity dock all show
records a row each; one helper keeps them alike, so a change of style is made once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QTableView

_SELECTION = QAbstractItemView.SelectionMode


def style_row_table(
    view: QTableView,
    *,
    row_height: int,
    selection: QAbstractItemView.SelectionMode = _SELECTION.SingleSelection,
    context_menu: bool = False,
) -> None:
    """Rows selected whole (`selection` of them), alternating colours, no grid or word wrap, text elided at
    the right, no row numbers, and a plain left-aligned header; `context_menu` asks for custom menus."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(selection)
    if context_menu:
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(row_height)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
