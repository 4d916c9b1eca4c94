"""Fixtures for the Qt tests: offscreen platform, a qasync loop per test and domain objects to show."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

import gc
import itertools
from collections.abc import Callable, Iterator

import pytest
from fixed_clock import NOW
from PySide6.QtCore import QSettings
from qasync_loop import qasync_event_loop

from hvgui.domain.integration import INTEGRATION_COMPONENTS, ComponentStatus, IntegrationServiceState
from hvgui.domain.vm import CheckpointType, HeartbeatStatus, Vm, VmState

_ids = itertools.count(1)


def services(enabled: bool = True) -> tuple[IntegrationServiceState, ...]:
    return tuple(
        IntegrationServiceState(
            ic_guid=info.ic_guid or "",
            name=info.name,
            enabled=enabled and info.enabled_by_default,
            primary=ComponentStatus.Ok if enabled and info.enabled_by_default else None,
            secondary=None,
            primary_text="OK" if enabled and info.enabled_by_default else "",
            secondary_text="",
        )
        for info in INTEGRATION_COMPONENTS
    )


def make_vm(name: str = "", host: str = "HV01", *, uptime_seconds: int | None = None, **changes) -> Vm:
    """A running, healthy VM with a fresh id; keyword arguments override any field.

    `uptime_seconds` sets the boot time that far before `NOW` (0: no boot time, as for a VM that is off).
    """
    number = next(_ids)
    if uptime_seconds is not None:
        changes.setdefault("booted_at", NOW - uptime_seconds if uptime_seconds > 0 else None)
    fields = dict(
        host=host,
        vm_id=f"00000000-0000-4000-8000-{number:012x}",
        name=name or f"vm{number:02d}",
        state=VmState.Running,
        heartbeat=HeartbeatStatus.OkApplicationsHealthy,
        status="Operating normally",
        booted_at=NOW - 3600 - number,
        cpu_usage=number % 100,
        memory_assigned=(1 + number % 8) * 1024**3,
        generation=2,
        version="10.0",
        checkpoint_type=CheckpointType.Production,
        is_clustered=False,
        integration_services=services(),
    )
    fields.update(changes)
    return Vm(**fields)


@pytest.fixture(autouse=True)
def own_settings(tmp_path_factory) -> str:
    """Preferences go to a fresh directory: a test never reads nor writes the admin's own settings."""
    path = str(tmp_path_factory.mktemp("settings"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, path)
    return path


@pytest.fixture
def vm_factory() -> Callable[..., Vm]:
    return make_vm


@pytest.fixture
def loop(qapp) -> Iterator:
    """A qasync event loop for this test only (pytest-qt does not drive asyncio)."""
    with qasync_event_loop(qapp) as event_loop:
        yield event_loop
    del event_loop
    gc.collect()  # see qasync_event_loop: Qt objects of the closed loop must die on this thread
