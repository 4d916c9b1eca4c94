"""`VmActionsController` without a host: its bookkeeping, refusals and closing."""

from __future__ import annotations

from PySide6.QtTest import QSignalSpy
from qasync_loop import wait_until

from hvgui.domain.integration import SHUTDOWN, TIME_SYNC
from hvgui.domain.power import PowerAction
from hvgui.domain.vm import CheckpointType
from hvgui.remoting import SessionManager
from hvgui.ui.controllers import ActionKind, HostsController, VmActionsController


def make(loop) -> tuple[HostsController, VmActionsController]:
    hosts = HostsController(SessionManager())
    return hosts, VmActionsController(hosts)


def test_a_command_for_a_host_that_is_gone_fails_without_being_sent(qapp, loop, vm_factory) -> None:
    hosts, actions = make(loop)
    pending, finished, failed = QSignalSpy(actions.pending), QSignalSpy(actions.finished), QSignalSpy(actions.failed)
    vm = vm_factory(name="dc01")
    action = actions.set_service(vm, TIME_SYNC.ic_guid, False)
    assert pending.count() == 1 and pending.at(0)[0] is action  # at once: the row can show "pending"
    assert action.kind is ActionKind.SetService and action.operation.service_name == "Time Synchronization"
    assert action.description == "Disable Time Synchronization on 'dc01'"
    assert action.powershell == action.operation.powershell()
    assert action.powershell.startswith(f"Get-VM -ComputerName '{vm.host}' -Id '{vm.vm_id}' | ")  # host gone: its key
    assert actions.is_running(vm.key, ActionKind.SetService)
    loop.run_until_complete(wait_until(lambda: failed.count() == 1, what="the failure"))
    failure = failed.at(0)[0]
    assert failure.action is action and not failure.sent
    assert failure.message == "Disable Time Synchronization on 'dc01' failed: the host is no longer connected."
    assert finished.count() == 0
    assert actions.running() == []
    loop.run_until_complete(hosts.aclose())


def test_a_graceful_shutdown_that_cannot_work_is_refused(qapp, loop, vm_factory) -> None:
    hosts, actions = make(loop)
    failed = QSignalSpy(actions.failed)
    services = tuple(
        s.__class__(**{**s.__dict__, "enabled": False}) if s.ic_guid == SHUTDOWN.ic_guid else s
        for s in vm_factory().integration_services
    )
    vm = vm_factory(name="devbox", integration_services=services)
    (action,) = actions.power([vm], PowerAction.ShutDown)
    assert action.powershell == f"Get-VM -ComputerName '{vm.host}' -Id '{vm.vm_id}' | Stop-VM"
    loop.run_until_complete(wait_until(lambda: failed.count() == 1, what="the refusal"))
    failure = failed.at(0)[0]
    assert not failure.sent
    assert "Shutdown integration service of 'devbox' is disabled" in failure.reason
    loop.run_until_complete(hosts.aclose())


def test_closing_ends_the_commands_and_refuses_new_ones(qapp, loop, vm_factory) -> None:
    hosts, actions = make(loop)
    actions.set_checkpoint_type(vm_factory(), CheckpointType.Standard)
    action = actions.create_checkpoint(vm_factory(), "  ")
    assert action.operation.name is None  # a blank name lets the host choose one
    assert len(actions.running()) == 2
    loop.run_until_complete(hosts.aclose())  # closes the actions controller first (close hook)
    assert actions.running() == []
    pending = QSignalSpy(actions.pending)
    try:
        actions.list_checkpoints(vm_factory())
    except RuntimeError as exc:
        assert "closed" in str(exc)
    else:
        raise AssertionError("a closed controller accepted a command")
    assert pending.count() == 0
