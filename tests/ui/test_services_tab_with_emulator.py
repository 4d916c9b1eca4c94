"""The "Integration services" tab end to end: window → pypsrp → emulator model → refreshed window.

Each toggle goes out as `Set-HvGuiIntegrationService` (the service chosen by its IC GUID), changes the
emulated host's model, and comes back with the next refresh; meanwhile the row shows the pending state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_support import (
    ScriptedConfirmer,
    connect,
    emulated_host,
    emulated_vm,
    endpoint_for,
    message_box,
    sent,
    shown,
    vm_key,
)
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from qasync_loop import wait_until

from hvgui.domain.integration import (
    GUEST_SERVICE_INTERFACE,
    INTEGRATION_COMPONENTS,
    KVP,
    SHUTDOWN,
    TIME_SYNC,
    VSS,
)
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.remoting import SessionManager
from hvgui.ui.confirm import accept_button, reject_button
from hvgui.ui.controllers import HostsController
from hvgui.ui.inline_message import MessageKind
from hvgui.ui.main_window import MainWindow
from hvgui.ui.models.service_rows import (
    POWERSHELL_DIRECT_KEY,
    ErrorRole,
    PendingRole,
    ServiceColumn,
)
from hvgui.ui.services_tab import CONFIRM_DISABLE

SET_SERVICE = "Set-HvGuiIntegrationService"


@pytest.fixture
def command_log(tmp_path: Path) -> Path:
    return tmp_path / "commands.jsonl"


@pytest.fixture
def emulator(command_log: Path) -> Iterator[RunningEmulator]:
    with start_emulator("demo", command_log=str(command_log)) as running:
        yield running


def make_window(qtbot, loop, confirmer=None) -> MainWindow:
    controller = HostsController(SessionManager(refresh_interval=0.5, connect_timeout=5, operation_timeout=10))
    window = MainWindow(controller, confirmer=confirmer)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def confirmer() -> ScriptedConfirmer:
    return ScriptedConfirmer(answer=True)


@pytest.fixture
def window(qtbot, loop, confirmer) -> Iterator[MainWindow]:
    w = make_window(qtbot, loop, confirmer)
    yield w
    loop.run_until_complete(w.controller.aclose())


def open_services(window: MainWindow, key) -> object:
    assert window.select_vm(key)
    window.vm_panel.show_tab("services")
    tab = window.vm_panel.services
    assert tab.shown_vm() is not None and tab.shown_vm().key == key
    return tab


def test_every_service_toggles_end_to_end_from_the_keyboard(loop, window, emulator, confirmer, command_log) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-02"))
    key = vm_key(emulator, "HV-DEMO-02", "exchange01")
    model_vm = emulated_vm(emulator, "HV-DEMO-02", "exchange01")
    tab = open_services(window, key)
    tab.view.setFocus()

    for info in INTEGRATION_COMPONENTS:
        guid = info.ic_guid
        before = model_vm.components[guid].enabled
        assert tab.model.row(guid).enabled == before
        assert tab.select_row(guid)
        QTest.keyClick(tab.view, Qt.Key.Key_Space)
        row = tab.model.row_of(guid)
        enabled_cell = tab.model.index(row, ServiceColumn.Enabled)
        assert enabled_cell.data(PendingRole) is (not before), info.name
        assert enabled_cell.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.PartiallyChecked
        assert enabled_cell.data() == ("Enabling\u2026" if not before else "Disabling\u2026")

        loop.run_until_complete(wait_until(lambda g=guid: tab.model.pending(g) is None, what=f"{info.name} done"))
        assert model_vm.components[guid].enabled is (not before), f"{info.name} did not change on the host"
        assert tab.model.row(guid).enabled is (not before)
        assert shown(window, key).service(guid).enabled is (not before)
        expected = Qt.CheckState.Unchecked if before else Qt.CheckState.Checked
        assert tab.model.index(row, ServiceColumn.Enabled).data(Qt.ItemDataRole.CheckStateRole) == expected
        assert tab.model.error(guid) is None
        assert tab.message.kind() is MessageKind.Info
        assert info.name in tab.message.text()

    # Exactly one command per toggle, each naming the service by its GUID; only the High-impact disables asked.
    toggles = sent(command_log, SET_SERVICE)
    assert [t["parameters"]["ComponentId"] for t in toggles] == [s.ic_guid for s in INTEGRATION_COMPONENTS]
    assert {q.object_name for q in confirmer.questions} == {CONFIRM_DISABLE}
    assert [q.title for q in confirmer.questions] == ["Disable Shutdown", "Disable Time Synchronization"]
    # The tab asked what the operations themselves say they ask (the domain's words), and only that.
    asked = [r.operation.confirmation() for r in window.vm_actions.records()]
    assert [q.text for q in confirmer.questions] == [text for text in asked if text is not None]


def test_the_german_host_shows_german_names_and_toggles_by_guid(qtbot, loop, confirmer, tmp_path) -> None:
    log = tmp_path / "de.jsonl"
    with start_emulator("de-DE", command_log=str(log)) as emulator:
        window = make_window(qtbot, loop, confirmer)
        try:
            loop.run_until_complete(connect(window, emulator, "HV-DE-01"))
            key = vm_key(emulator, "HV-DE-01", "dateiserver")
            model_vm = emulated_vm(emulator, "HV-DE-01", "dateiserver")
            tab = open_services(window, key)
            names = {row.key: row.name for row in tab.model.rows()}
            assert names[GUEST_SERVICE_INTERFACE.ic_guid] == "Gastdienstschnittstelle"
            assert names[TIME_SYNC.ic_guid] != "Time Synchronization"
            cell = tab.model.index(tab.model.row_of(KVP.ic_guid), ServiceColumn.Name)
            assert cell.data() == names[KVP.ic_guid]
            assert "Key-Value Pair Exchange" in cell.data(Qt.ItemDataRole.ToolTipRole)  # the en-US name too

            # Enable Guest Service Interface and disable Time Synchronization (confirmed, in the host's words).
            tab.request_toggle(GUEST_SERVICE_INTERFACE.ic_guid, True)
            loop.run_until_complete(
                wait_until(lambda: tab.model.pending(GUEST_SERVICE_INTERFACE.ic_guid) is None, what="GSI")
            )
            tab.request_toggle(TIME_SYNC.ic_guid, False)
            loop.run_until_complete(wait_until(lambda: tab.model.pending(TIME_SYNC.ic_guid) is None, what="timesync"))
            assert model_vm.components[GUEST_SERVICE_INTERFACE.ic_guid].enabled
            assert not model_vm.components[TIME_SYNC.ic_guid].enabled
            assert tab.model.row(GUEST_SERVICE_INTERFACE.ic_guid).enabled
            assert tab.model.row(TIME_SYNC.ic_guid).enabled is False
            assert confirmer.questions[-1].title == f"Disable {names[TIME_SYNC.ic_guid]}"
            assert [e["parameters"]["ComponentId"] for e in sent(log, SET_SERVICE)] == [
                GUEST_SERVICE_INTERFACE.ic_guid,
                TIME_SYNC.ic_guid,
            ]
            # The Linux web server's KVP reports "No Contact" in German; the Why? names the daemon.
            web = open_services(window, vm_key(emulator, "HV-DE-01", "webserver"))
            kvp = web.model.row(KVP.ic_guid)
            assert kvp.status_text != "No Contact" and kvp.why is not None
            assert "hv_kvp_daemon" in kvp.why
        finally:
            loop.run_until_complete(window.controller.aclose())


@pytest.mark.parametrize("service", [SHUTDOWN, TIME_SYNC], ids=["shutdown", "timesync"])
def test_disabling_a_high_impact_service_asks_first(qtbot, loop, emulator, command_log, service) -> None:
    window = make_window(qtbot, loop)  # the real message box
    try:
        loop.run_until_complete(connect(window, emulator, "HV-DEMO-02"))
        key = vm_key(emulator, "HV-DEMO-02", "exchange01")
        model_vm = emulated_vm(emulator, "HV-DEMO-02", "exchange01")
        tab = open_services(window, key)

        tab.request_toggle(service.ic_guid, False)
        box = message_box(CONFIRM_DISABLE)
        assert box is not None, "no confirmation"
        assert "exchange01" in box.text()
        words = "shut the guest operating system down cleanly" if service is SHUTDOWN else "clock"
        assert words in box.text()
        assert tab.model.pending(service.ic_guid) is None  # nothing under way while the question waits
        reject_button(box).click()
        loop.run_until_complete(wait_until(lambda: message_box(CONFIRM_DISABLE) is None, what="the box to close"))
        assert sent(command_log, SET_SERVICE) == []
        assert model_vm.components[service.ic_guid].enabled
        assert tab.model.pending(service.ic_guid) is None

        tab.request_toggle(service.ic_guid, False)
        box = message_box(CONFIRM_DISABLE)
        assert box is not None
        accept_button(box).click()
        loop.run_until_complete(wait_until(lambda: tab.model.pending(service.ic_guid) is None, what="the change"))
        assert not model_vm.components[service.ic_guid].enabled
        assert tab.model.row(service.ic_guid).enabled is False
        assert len(sent(command_log, SET_SERVICE)) == 1

        # Enabling again asks nothing.
        tab.request_toggle(service.ic_guid, True)
        assert message_box(CONFIRM_DISABLE) is None
        loop.run_until_complete(wait_until(lambda: tab.model.pending(service.ic_guid) is None, what="re-enable"))
        assert model_vm.components[service.ic_guid].enabled
    finally:
        loop.run_until_complete(window.controller.aclose())


def test_a_change_the_host_cannot_take_returns_the_row_to_the_truth_with_the_reason(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-02", "HV-DEMO-03"))
    key = vm_key(emulator, "HV-DEMO-02", "exchange01")
    tab = open_services(window, key)
    assert tab.model.row(GUEST_SERVICE_INTERFACE.ic_guid).enabled is False
    server = emulator.server("HV-DEMO-02")
    server.stop()  # the host drops: the change cannot reach it
    try:
        tab.request_toggle(GUEST_SERVICE_INTERFACE.ic_guid, True)
        assert tab.model.pending(GUEST_SERVICE_INTERFACE.ic_guid) is True
        loop.run_until_complete(
            wait_until(lambda: tab.model.pending(GUEST_SERVICE_INTERFACE.ic_guid) is None, what="the failure")
        )
    finally:
        server.start()
    number = tab.model.row_of(GUEST_SERVICE_INTERFACE.ic_guid)
    cell = tab.model.index(number, ServiceColumn.Enabled)
    assert cell.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked  # the truth: still off
    reason = cell.data(ErrorRole)
    assert reason, "the row does not say why"
    assert "change rejected" in cell.data()
    assert reason in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert tab.message.kind() is MessageKind.Error
    assert "Enable Guest Service Interface on 'exchange01' failed" in tab.message.text()
    assert not tab.detail.error.isHidden() and reason in tab.detail.error.text()
    # Nothing else is affected: no dialog, and the next attempt clears the reason.
    assert message_box(CONFIRM_DISABLE) is None


def test_a_vm_deleted_meanwhile_is_said_plainly(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-03"))
    key = vm_key(emulator, "HV-DEMO-03", "backup01")
    host = emulated_host(emulator, "HV-DEMO-03")
    tab = open_services(window, key)
    with host.model.lock:
        host.model.vms.remove(emulated_vm(emulator, "HV-DEMO-03", "backup01"))
    tab.request_toggle(VSS.ic_guid, False)
    loop.run_until_complete(wait_until(lambda: tab.message.kind() is MessageKind.Error, what="the failure"))
    assert "backup01" in tab.message.text()
    assert "deleted or moved" in tab.message.text()
    assert window.vm_model.vm(key) is None  # the refresh after the command took the VM away
    assert tab.shown_vm() is None or tab.shown_vm().key != key  # Qt moves the selection to a neighbour


def test_rows_that_are_not_ok_explain_why(loop, window, emulator) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01", "HV-DEMO-02"))
    tab = open_services(window, vm_key(emulator, "HV-DEMO-01", "web02"))
    kvp = tab.model.row(KVP.ic_guid)
    assert kvp.status_text == "No Contact"
    assert kvp.why and "hv_kvp_daemon" in kvp.why
    vss = tab.model.row(VSS.ic_guid)
    assert vss.why and "older" in vss.why  # the guest's VSS protocol is older than the host's
    number = tab.model.row_of(KVP.ic_guid)
    assert tab.model.index(number, ServiceColumn.Why).data() == "Why?"
    assert tab.model.index(number, ServiceColumn.Why).data(Qt.ItemDataRole.ToolTipRole) == kvp.why
    # The first row that needs attention is selected and its explanation is on screen.
    assert tab.current_key() == KVP.ic_guid
    assert tab.detail.why.text() == kvp.why and tab.detail.why_box.isVisible()
    # OK rows say nothing; the heartbeat of a running healthy guest is OK.
    heartbeat = tab.model.row(INTEGRATION_COMPONENTS[1].ic_guid)
    assert heartbeat.why is None
    assert tab.model.index(tab.model.row_of(heartbeat.key), ServiceColumn.Why).data() == ""
    # Guest Service Interface: off by default, needed for file copy.
    gsi = tab.model.row(GUEST_SERVICE_INTERFACE.ic_guid)
    assert gsi.why and "default" in gsi.why and "Copy-VMFile" in gsi.why
    # PowerShell Direct is a row, never a toggle, and says why.
    ps = tab.model.row(POWERSHELL_DIRECT_KEY)
    assert not ps.toggleable
    assert tab.model.index(tab.model.row_of(POWERSHELL_DIRECT_KEY), ServiceColumn.Enabled).data() == "Not a setting"
    # A disabled heartbeat (jumpbox) explains itself too.
    jump = open_services(window, vm_key(emulator, "HV-DEMO-02", "jumpbox"))
    assert "disabled" in jump.model.row(INTEGRATION_COMPONENTS[1].ic_guid).why


def test_copy_as_powershell_for_a_row(loop, window, emulator, qapp) -> None:
    loop.run_until_complete(connect(window, emulator, "HV-DEMO-01"))
    key = vm_key(emulator, "HV-DEMO-01", "qa-'quoted' $(whoami) `tick")
    tab = open_services(window, key)
    text = tab.copy_powershell(TIME_SYNC.ic_guid)
    # The host as hvgui reached it, the VM by its Id (never by its name), the service by its GUID.
    address = endpoint_for(emulator, "HV-DEMO-01").address
    assert text == (
        f"Get-VM -ComputerName '{address}' -Id '{key.vm_id}' | Get-VMIntegrationService | "
        f"Where-Object {{ $_.Id -like '*\\{TIME_SYNC.ic_guid.upper()}' }} | Disable-VMIntegrationService"
    )
    assert "quoted" not in text and "whoami" not in text
    assert qapp.clipboard().text() == text
    tab.select_row(TIME_SYNC.ic_guid)
    assert tab.detail.copy_button.toolTip() == text
    assert tab.copy_powershell(POWERSHELL_DIRECT_KEY) is None
    menu = tab.build_context_menu(tab.model.row(TIME_SYNC.ic_guid))
    assert [a.text() for a in menu.actions() if a.text()][:2] == ["Disable Time Synchronization", "Copy as PowerShell"]
