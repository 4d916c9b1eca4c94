"""The Summary tab's integration-service list."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtTest import QSignalSpy

from hvgui.domain.integration import ComponentStatus
from hvgui.ui.models.integration_services import IntegrationServicesModel, ServiceColumn


def test_qtmodeltester_passes_with_rows(qtmodeltester, qapp, vm_factory) -> None:
    model = IntegrationServicesModel()
    model.set_services(vm_factory().integration_services)
    assert model.rowCount() == 6
    qtmodeltester.check(model, force_py=True)


def test_a_refresh_of_the_same_vm_updates_rows_in_place(qapp, vm_factory) -> None:
    model = IntegrationServicesModel()
    services = vm_factory().integration_services
    model.set_services(services)
    reset = QSignalSpy(model.modelReset)
    changed = QSignalSpy(model.dataChanged)
    heartbeat_row = next(i for i, s in enumerate(services) if s.name == "Heartbeat")
    updated = list(services)
    updated[heartbeat_row] = replace(
        services[heartbeat_row], primary=ComponentStatus.LostCommunication, primary_text="Lost Communication"
    )
    model.set_services(updated)
    assert reset.count() == 0
    assert changed.count() == 1
    assert changed.at(0)[0].row() == heartbeat_row
    status = model.data(model.index(heartbeat_row, ServiceColumn.Status), Qt.ItemDataRole.DisplayRole)
    assert status == "Lost Communication"


def test_columns(qapp, vm_factory) -> None:
    model = IntegrationServicesModel()
    model.set_services(vm_factory().integration_services)
    rows = {
        model.data(model.index(r, ServiceColumn.Name)): (
            model.data(model.index(r, ServiceColumn.Enabled)),
            model.data(model.index(r, ServiceColumn.Status)),
        )
        for r in range(model.rowCount())
    }
    assert rows["Heartbeat"] == ("Yes", "OK")
    assert rows["Guest Service Interface"] == ("No", "\u2014")
