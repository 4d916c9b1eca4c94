"""Integration services of many VMs at once: the matrix, its preview, the apply and its report."""

from hvgui.ui.bulk.controller import BulkApplyController, SessionLookup
from hvgui.ui.bulk.dialog import BulkServicesDialog
from hvgui.ui.bulk.matrix_model import CellChange, ServiceMatrixModel
from hvgui.ui.bulk.results_model import BulkResultsModel, Outcome

__all__ = [
    "BulkApplyController",
    "BulkResultsModel",
    "BulkServicesDialog",
    "CellChange",
    "Outcome",
    "ServiceMatrixModel",
    "SessionLookup",
]
