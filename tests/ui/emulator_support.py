"""Helpers for window tests against the in-process emulator: connect, find VMs, answer questions, read the log.

The window talks to the emulator over loopback with the real SessionManager and pypsrp; the tests look at
the emulator's model (what the host really holds) and at its command log (what the window really sent).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox
from qasync_loop import wait_until

from hvgui.domain.vm import Vm, VmKey
from hvgui.emulator import Endpoint, RunningEmulator
from hvgui.ui.confirm import Question
from hvgui.ui.main_window import MainWindow


@dataclass
class ScriptedConfirmer:
    """Answers every question at once with `answer`, and remembers the questions (injected into the window)."""

    answer: bool = True
    questions: list[Question] = field(default_factory=list)

    def ask(
        self,
        parent: Any,
        question: Question,
        on_accept: Callable[[], None],
        on_reject: Callable[[], None] | None = None,
    ) -> None:
        self.questions.append(question)
        if self.answer:
            on_accept()
        elif on_reject is not None:
            on_reject()


def endpoint_for(emulator: RunningEmulator, host_name: str) -> Endpoint:
    return next(e for e in emulator.endpoints if e.host_name == host_name)


def emulated_host(emulator: RunningEmulator, host_name: str):
    return next(h for h in emulator.scenario.hosts if h.model.name == host_name)


def emulated_vm(emulator: RunningEmulator, host_name: str, vm_name: str):
    return next(vm for vm in emulated_host(emulator, host_name).model.vms if vm.name == vm_name)


def vm_key(emulator: RunningEmulator, host_name: str, vm_name: str) -> VmKey:
    endpoint = endpoint_for(emulator, host_name)
    return VmKey(endpoint.connection_settings().key, str(emulated_vm(emulator, host_name, vm_name).id).lower())


async def connect(window: MainWindow, emulator: RunningEmulator, *host_names: str) -> None:
    """Connect to these emulated hosts (all when none is named) and wait until their VMs are in the table."""
    endpoints = [endpoint_for(emulator, n) for n in host_names] if host_names else list(emulator.endpoints)
    for endpoint in endpoints:
        window.connect_host(endpoint.connection_settings(), endpoint.password)
    keys = [e.connection_settings().key for e in endpoints]
    await wait_until(lambda: all(window.controller.inventory(k) is not None for k in keys), what="the inventories")


def shown(window: MainWindow, key: VmKey) -> Vm:
    """The VM as the window's table holds it now."""
    vm = window.vm_model.vm(key)
    assert vm is not None, f"{key} is not in the table"
    return vm


def message_box(name: str) -> QMessageBox | None:
    """The visible message box with this object name, wherever it was parented."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.objectName() == name and widget.isVisible():
            return widget
    for widget in QApplication.allWidgets():
        if isinstance(widget, QMessageBox) and widget.objectName() == name and widget.isVisible():
            return widget
    return None


def commands(log: Path) -> list[dict[str, Any]]:
    """The command log's entries so far (one per pipeline command the emulator received)."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


def sent(log: Path, command: str) -> list[dict[str, Any]]:
    return [entry for entry in commands(log) if (entry.get("command") or "").casefold() == command.casefold()]
