"""History settings: retention and file from the settings file, mutes remembered, menus that mute, and a
damaged history file announced in the window."""

from __future__ import annotations

import time

from history_window_support import close, connected, history_window, publish

from hvgui.domain.vm import VmKey
from hvgui.history import HistoryReader, VmRow
from hvgui.ui.history import open_history_store
from hvgui.ui.history.event_log import EventColumn, EventEntry
from hvgui.ui.history.settings import HistorySettings
from hvgui.ui.history.timeline import TimelineRow
from hvgui.ui.preferences import Preferences

KEY = "https://hv01:5986"


def test_retention_and_file_come_from_the_settings(tmp_path) -> None:
    preferences = Preferences()
    settings = HistorySettings(preferences.settings)
    assert settings.retention_days == 7
    settings.settings.setValue("history/path", str(tmp_path / "mine.sqlite"))
    settings.retention_days = 3
    store = open_history_store(preferences)
    try:
        assert store.path == tmp_path / "mine.sqlite" and store.retention_days == 3
    finally:
        store.close()
    settings.settings.setValue("history/retentionDays", "nonsense")
    assert settings.retention_days == 7


def test_mutes_are_remembered_in_the_settings_file() -> None:
    first = HistorySettings(Preferences().settings)
    vm = VmKey(KEY, "00000000-0000-4000-8000-000000000001")
    first.set_vm_muted(vm, True)
    first.set_host_muted("https://hv02:5986", True)
    again = HistorySettings(Preferences().settings)  # a new session reads the same file
    assert again.is_muted(vm) and again.is_muted(VmKey("https://hv02:5986", "x"))
    assert not again.is_muted(VmKey(KEY, "other"))
    again.set_vm_muted(vm, False)
    assert not HistorySettings(Preferences().settings).is_muted(vm)


def test_context_menus_and_the_vm_menu_mute(qtbot, tmp_path, vm_factory) -> None:
    window, history = history_window(qtbot, tmp_path / "history.sqlite")
    try:
        vm = vm_factory(host=KEY, name="web\n01")
        window.controller.hostStatusChanged.emit(connected(KEY, "HV-01"))
        publish(window, KEY, [vm])
        timeline = history.show_timeline()
        menu = timeline.view.context_menu_for(TimelineRow(KEY, VmRow(1, KEY, vm.vm_id, vm.name)))
        assert menu is not None
        texts = [a.text() for a in menu.actions()]
        assert texts == ["Mute alerts for \u201cweb\u23ce01\u201d", "Mute alerts for every VM on HV-01"]
        menu.actions()[0].trigger()
        assert history.settings.muted_vms() == {vm.key}
        header_menu = timeline.view.context_menu_for(TimelineRow(KEY))
        assert header_menu is not None and [a.text() for a in header_menu.actions()] == [texts[1]]
        header_menu.actions()[0].trigger()
        assert history.settings.muted_hosts() == {KEY}

        entry = EventEntry(time.time(), KEY, "HV-01", vm.key, vm.name, "lost its heartbeat")
        log_menu = history.event_dock.menu_for(0) if history.event_dock.model.rowCount() else None
        assert log_menu is None
        history.event_dock.model.add([entry])
        log_menu = history.event_dock.menu_for(0)
        assert log_menu is not None and all(a.isChecked() for a in log_menu.actions())
        log_menu.actions()[0].trigger()  # unmute the VM
        assert history.settings.muted_vms() == set()

        window.select_vm(vm.key)
        window.vm_menu.aboutToShow.emit()
        assert history.mute_action.isEnabled() and not history.mute_action.isChecked()
        history.mute_action.trigger()
        assert history.settings.muted_vms() == {vm.key}
    finally:
        close(history)


def test_a_damaged_history_file_is_announced(qtbot, tmp_path) -> None:
    path = tmp_path / "history.sqlite"
    path.write_bytes(b"\x00garbage" * 512)
    window, history = history_window(qtbot, path)
    try:
        model = history.event_dock.model
        assert model.rowCount() == 1
        what = model.index(0, EventColumn.What).data()
        assert "damaged" in what and "corrupt-" in what
        assert "damaged" in window.statusBar().currentMessage()
        assert HistoryReader(path).vms() == []  # the fresh file works
    finally:
        close(history)


def test_the_event_log_follows_new_entries_unless_someone_reads_older_ones(qtbot) -> None:
    from hvgui.ui.history.event_log import EventLogDock

    dock = EventLogDock()
    qtbot.addWidget(dock)
    dock.resize(500, 200)
    dock.show()

    def entries(count: int) -> list[EventEntry]:
        return [EventEntry(time.time(), KEY, "HV-01", None, f"vm-{n}", "lost its heartbeat") for n in range(count)]

    bar = dock.view.verticalScrollBar()
    dock.model.add(entries(100))
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
    bar.setValue(0)  # the admin scrolls up to read
    dock.model.add(entries(3))
    qtbot.wait(50)
    assert bar.value() == 0
    bar.setValue(bar.maximum())  # back at the newest: the log follows again
    dock.model.add(entries(3))
    qtbot.waitUntil(lambda: dock.view.rowAt(dock.view.viewport().height() - 2) == dock.model.rowCount() - 1)
