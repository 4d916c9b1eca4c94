"""Heartbeat alerts against the emulator: one notification per change, none at connect nor on reconnect,
muting per VM and per host, bursts merged into one summary, and the event log."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from emulator_support import connect, emulated_host, endpoint_for, vm_key
from history_window_support import close, history_window
from qasync_loop import wait_until

from hvgui.domain.connection import HostState
from hvgui.emulator import RunningEmulator, start_emulator
from hvgui.emulator.hyperv.guest import HangSchedule
from hvgui.ui.history.event_log import EventColumn

HOST = "HV-DEMO-01"
FOREVER = HangSchedule(every=1e9, duration=1e9)


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator("demo") as running:
        for host in running.scenario.hosts:  # no scheduled hangs: only the test's changes count
            with host.model.lock:
                for vm in host.model.vms:
                    vm.guest = dataclasses.replace(vm.guest, hang=None)
        yield running


@pytest.fixture
def setup(qtbot, loop, emulator, tmp_path):
    window, history = history_window(
        qtbot, tmp_path / "history.sqlite", refresh_interval=0.2, connect_timeout=5, operation_timeout=10
    )
    history.notifier.set_burst_ms(300)
    yield window, history
    loop.run_until_complete(window.controller.aclose())
    close(history)


def _healthy_names(emulator: RunningEmulator) -> list[str]:
    host = emulated_host(emulator, HOST)
    with host.model.lock:
        now = host.model.now()
        return [vm.name for vm in host.model.vms if (hb := vm.heartbeat(now)) is not None and hb.is_ok]


def _hang(emulator: RunningEmulator, names: list[str], hang: HangSchedule | None) -> None:
    host = emulated_host(emulator, HOST)
    with host.model.lock:
        for vm in host.model.vms:
            if vm.name in names:
                vm.guest = dataclasses.replace(vm.guest, hang=hang)


def _log(history) -> list[tuple[str, str]]:
    model = history.event_dock.model
    return [
        (model.index(r, EventColumn.Vm).data(), model.index(r, EventColumn.What).data())
        for r in range(model.rowCount())
    ]


def test_alerts_from_real_sessions(qtbot, loop, emulator, setup) -> None:
    window, history = setup
    notifier = history.notifier
    loop.run_until_complete(connect(window, emulator))
    loop.run_until_complete(wait_until(lambda: history.store.flush(timeout=1), what="the baselines"))
    healthy = _healthy_names(emulator)
    assert len(healthy) >= 6
    # Connecting to hosts whose guests are in every state raises nothing.
    assert notifier.sent == [] and _log(history) == []

    # One guest hangs: one notification, one log entry; it comes back: one more.
    first = healthy[0]
    _hang(emulator, [first], FOREVER)
    loop.run_until_complete(wait_until(lambda: len(notifier.sent) == 1, what="the lost notification"))
    assert notifier.sent[0].title == f"{first} on {HOST}"
    assert notifier.sent[0].text.startswith("lost its heartbeat (")
    assert _log(history)[-1][0] == first
    _hang(emulator, [first], None)
    loop.run_until_complete(wait_until(lambda: len(notifier.sent) == 2, what="the back notification"))
    assert notifier.sent[1].text.startswith("has its heartbeat back")

    # A muted VM: logged as muted, no notification.
    second = healthy[1]
    history.settings.set_vm_muted(vm_key(emulator, HOST, second), True)
    _hang(emulator, [second], FOREVER)
    loop.run_until_complete(wait_until(lambda: any(name == second for name, _ in _log(history)), what="the log"))
    assert _log(history)[-1][1].endswith("(muted)")
    _hang(emulator, [second], None)
    loop.run_until_complete(wait_until(lambda: len(_log(history)) == 4, what="the muted recovery"))
    loop.run_until_complete(wait_until(lambda: notifier.waiting == 0, what="the burst window"))
    assert len(notifier.sent) == 2

    # A burst on one host: one summary.
    burst = healthy[2:7]
    _hang(emulator, burst, FOREVER)
    loop.run_until_complete(wait_until(lambda: len(notifier.sent) == 3, what="the summary"))
    assert notifier.sent[2].title == f"{len(burst)} VMs lost their heartbeat on {HOST}"
    assert len(notifier.sent[2].alerts) == len(burst)
    assert sum(1 for name, what in _log(history) if name in burst and "lost" in what) == len(burst)

    # The host drops and comes back while its guests recover: baselines, no storm.
    endpoint = endpoint_for(emulator, HOST)
    key = endpoint.connection_settings().key
    emulator.server(HOST).stop()
    loop.run_until_complete(
        wait_until(lambda: window.controller.status(key).state is HostState.Failed, what="the host to fail")
    )
    _hang(emulator, burst, None)
    emulator.server(HOST).start()
    window.controller.retry(key)
    loop.run_until_complete(
        wait_until(lambda: window.controller.status(key).state is HostState.Connected, what="the reconnect")
    )
    loop.run_until_complete(wait_until(lambda: history.store.flush(timeout=1), what="the baselines"))
    loop.run_until_complete(wait_until(lambda: notifier.waiting == 0, what="the burst window"))
    assert len(notifier.sent) == 3

    # It drops and comes back with nothing changed (no inventory is published): the next change still alerts.
    _reconnect(loop, window, emulator, key)
    _hang(emulator, [first], FOREVER)
    loop.run_until_complete(wait_until(lambda: len(notifier.sent) == 4, what="the lost notification"))
    assert notifier.sent[3].title == f"{first} on {HOST}"
    _hang(emulator, [first], None)
    loop.run_until_complete(wait_until(lambda: len(notifier.sent) == 5, what="the back notification"))

    # Mute the whole host: nothing more from it.
    history.settings.set_host_muted(key, True)
    _hang(emulator, [first], FOREVER)
    loop.run_until_complete(
        wait_until(lambda: _log(history)[-1][0] == first and "lost" in _log(history)[-1][1], what="the log")
    )
    assert _log(history)[-1][1].endswith("(muted)")
    assert len(notifier.sent) == 5


def _reconnect(loop, window, emulator: RunningEmulator, key: str) -> None:
    emulator.server(HOST).stop()
    loop.run_until_complete(
        wait_until(lambda: window.controller.status(key).state is HostState.Failed, what="the host to fail")
    )
    emulator.server(HOST).start()
    window.controller.retry(key)
    loop.run_until_complete(
        wait_until(lambda: window.controller.status(key).state is HostState.Connected, what="the reconnect")
    )
