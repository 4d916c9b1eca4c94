"""One host-to-guest pair on many VMs: preview, limits, and a result per VM with one failing VM (emulator)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_support import connect, emulated_vm, shown, vm_key
from qasync_loop import wait_until

from hvgui.domain.kvp_operations import KvpBulkOperation
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.kvp.bulk_dialog import BulkColumn
from hvgui.ui.main_window import MainWindow

NAMES = ("print01", "rds01", "monitoring", "wsus")


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo") as running:
        yield running


@pytest.fixture
def window(qtbot, loop) -> Iterator[MainWindow]:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    w = MainWindow(controller)
    qtbot.addWidget(w)
    w.show()
    yield w
    loop.run_until_complete(w.controller.aclose())


def test_bulk_set_previews_checks_limits_and_reports_each_vm(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-03"))
    vms = [shown(window, vm_key(emulator, "HV-DEMO-03", n)) for n in NAMES]
    dialog = window.kvp_actions.open_bulk_dialog(vms)
    assert dialog is not None and not dialog.apply_button.isEnabled()  # no key yet
    dialog.key_edit.setText("k" * 256)
    assert "at most 255" in dialog.problems.text() and not dialog.apply_button.isEnabled()
    dialog.key_edit.setText("Patch window")
    dialog.value_edit.setPlainText("Sun 02:00\nUTC")
    assert dialog.apply_button.isEnabled() and dialog.problems.text() == ""
    rows = {dialog.preview.item(r, BulkColumn.Vm).text(): r for r in range(dialog.preview.rowCount())}
    assert set(rows) == set(NAMES)
    action = dialog.preview.item(rows["wsus"], BulkColumn.Action).text()
    assert "Sun 02:00\u23ceUTC" in action and "when it runs" in action  # wsus is saved
    dialog.apply_button.click()
    loop.run_until_complete(wait_until(lambda: "failed" in dialog.summary.text(), what="the results"))
    assert dialog.summary.text() == "3 done, 1 failed."
    results = {n: dialog.preview.item(rows[n], BulkColumn.Result).text() for n in NAMES}
    assert results["print01"].startswith("Failed:") and "failed to update" in results["print01"]
    assert all(results[n] == "Done" for n in ("rds01", "monitoring", "wsus"))
    for name in ("rds01", "monitoring", "wsus"):
        assert emulated_vm(emulator, "HV-DEMO-03", name).kvp.host_items["Patch window"] == "Sun 02:00\nUTC"
    assert "Patch window" not in emulated_vm(emulator, "HV-DEMO-03", "print01").kvp.host_items
    bulk = [r for r in window.vm_actions.records() if isinstance(r.operation, KvpBulkOperation)]
    assert len(bulk) == 1 and bulk[0].operation.title == "Set 'Patch window' on 4 VMs"  # one per host
    dialog.remove_radio.setChecked(True)
    dialog.apply_button.click()
    loop.run_until_complete(wait_until(lambda: dialog.summary.text().startswith("3 done"), what="the removal"))
    assert all("Patch window" not in emulated_vm(emulator, "HV-DEMO-03", n).kvp.host_items for n in NAMES)
    dialog.close()
