"""The history's store lets rows gather before it writes them; a question asked right after a change still
finds it, because each question first has the store write what it holds."""

from __future__ import annotations

import dataclasses
import time

from history_window_support import close, connected, publish

from hvgui.domain.vm import HeartbeatStatus
from hvgui.history import EventKind, HistoryStore, Transition
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import HostsController
from hvgui.ui.history import install_history
from hvgui.ui.main_window import MainWindow
from hvgui.ui.preferences import Preferences

KEY = "https://hv01:5986"


def test_a_question_asked_right_after_a_change_finds_it(qtbot, tmp_path, vm_factory) -> None:
    window = MainWindow(HostsController(SessionManager()), preferences=Preferences())
    qtbot.addWidget(window)
    # Rows would wait ten minutes for company: only the question's catching up writes them in time.
    history = install_history(window, HistoryStore(tmp_path / "history.sqlite", gather_delay=600.0))
    window.controller.hostStatusChanged.emit(connected(KEY, "HV01"))
    vm = vm_factory(host=KEY, name="web01")
    first = publish(window, KEY, [vm])
    publish(window, KEY, [dataclasses.replace(vm, heartbeat=HeartbeatStatus.LostCommunication)], old=first)
    answers: list[list[Transition]] = []
    history.queries.ask(
        lambda reader: reader.transitions(KEY, vm.vm_id, 0, time.time() + 60, include_observed=True), answers.append
    )
    qtbot.waitUntil(lambda: bool(answers))
    assert [(t.kind, t.heartbeat) for t in answers[0]] == [
        (EventKind.Observed, HeartbeatStatus.OkApplicationsHealthy),
        (EventKind.Heartbeat, HeartbeatStatus.LostCommunication),
    ]
    assert history.store.status.written == 2
    close(history)
